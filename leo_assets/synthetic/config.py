"""Configuration and result types of the synthetic LEO generator."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from leo_assets.settings import Settings


class FaultRates(BaseModel):
    """Rates of injected linkage faults; each is a probability between 0 and 0.5.

    Person-level faults (all but ``unlinked_recordid``) are drawn per *linked* person of a cohort:
    the number of victims is Binomial(linked persons, rate) and every person takes part in at most
    one fault of their cohort. ``unlinked_recordid`` is drawn per ILR learner record (recordid) of
    linked persons. ``overmatch_cohort`` (default 0) is drawn per linked person of every generated
    cohort but the earliest, whose linked persons are the partners (drawn per victim cohort, so a
    partner may also take part in a fault of their own cohort); a cohort generated alone has none.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    overmatch_pmr: float = Field(
        0.005,
        description="a person's PMR filed under another person's ae_id "
        "(two people's PMRs under one ae_id)",
    )
    overmatch_edukey: float = Field(
        0.005,
        description="two people share one EduKey: the victim's HMRC/DWP rows come under the "
        "other's EduKey",
    )
    undermatch_pmr: float = Field(
        0.01,
        description="one person split across two ae_ids: their second PMR is under a new ae_id",
    )
    undermatch_edukey: float = Field(
        0.01,
        description="one person split across two ae_ids: their second EduKey is under a new ae_id",
    )
    unlinked_pmr: float = Field(
        0.01, description="a linked person's PMR is absent from the PMR lookup"
    )
    unlinked_recordid: float = Field(
        0.02,
        description="an ILR recordid of a linked person is absent from education_records_lookup",
    )
    orphan_edukey: float = Field(
        0.005, description="an EduKey has outcome rows but no row in the EduKey lookup"
    )
    pmr_conflict: float = Field(
        0.002, description="a PMR is linked to two ae_ids (its own and another person's)"
    )
    overmatch_cohort: float = Field(
        0.0,
        description=(
            "a person of a later generated cohort merged with a linked person of the earliest "
            "generated cohort: every "
            "PMR, EduKey and ILR record of the victim is filed under the other's ae_id (two people "
            "of different ages "
            "resolved as one); needs two or more cohorts, else none is injected"
        ),
    )

    @field_validator("*")
    @classmethod
    def _rate(cls, value: Any, info: Any) -> float:
        try:
            rate = float(value)
        except (TypeError, ValueError):
            raise ValueError(
                f"fault rate {info.field_name!r} must be a number, got {value!r}"
            ) from None
        if not 0.0 <= rate <= 0.5:
            raise ValueError(
                f"fault rate {info.field_name!r} must be between 0 and 0.5, got {value!r}"
            )
        return rate

    @classmethod
    def none(cls) -> FaultRates:
        """A fault-free configuration."""
        return cls(**{name: 0.0 for name in cls.model_fields})

    def as_dict(self) -> dict[str, float]:
        return {name: float(getattr(self, name)) for name in type(self).model_fields}


class GeneratorConfig(BaseModel):
    """What to generate. Same config and seed => identical tables."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pupils_per_cohort: int = Field(2000, ge=1, le=5_000_000)
    cohorts: list[int] | None = Field(
        None, description="KS4 cohorts (academic-year end of Year 11); None = settings.ks4_cohorts"
    )
    seed: int = Field(20261122, ge=0, le=2**63 - 1)
    faults: FaultRates = Field(default_factory=FaultRates)
    show_progress: bool = True
    quirk_scale: float = Field(
        1.0,
        ge=0.0,
        le=10.0,
        description="multiplies the rates of dirty values and duplicate rows; 0 = clean data",
    )
    srs_text: bool = Field(
        False,
        description=(
            "write text as SQL Server in the SRS holds it: every column _sources.yml declares as "
            "an id "
            "or code right-padded (char(n) to n, varchar(n) by up to two blanks), codes in mixed "
            "case; "
            "staging's declared normalisation must give the same marts as without"
        ),
    )

    @field_validator("cohorts")
    @classmethod
    def _cohorts(cls, value: list[int] | None) -> list[int] | None:
        if value is None:
            return None
        if not value:
            raise ValueError(
                "'cohorts' needs at least one KS4 year (or None for settings.ks4_cohorts)"
            )
        for year in value:
            if not 2002 <= int(year) <= 2040:
                raise ValueError(f"'cohorts': {year!r} is not a KS4 year between 2002 and 2040")
        return sorted({int(y) for y in value})

    def resolved_cohorts(self, settings: Settings) -> list[int]:
        return list(self.cohorts) if self.cohorts is not None else list(settings.ks4_cohorts)

    def fingerprint(self, settings: Settings) -> str:
        """A stable JSON text of everything that determines the output."""
        return json.dumps(
            {
                "pupils_per_cohort": self.pupils_per_cohort,
                "cohorts": self.resolved_cohorts(settings),
                "seed": self.seed,
                "faults": self.faults.as_dict(),
                "quirk_scale": self.quirk_scale,
                **({"srs_text": True} if self.srs_text else {}),
                "reference_date": settings.reference_date.isoformat(),
                "source_databases": dict(sorted(settings.source_databases.items())),
                "project_schema": settings.project_schema,
            },
            sort_keys=True,
        )


@dataclass
class GenerationSummary:
    """What :func:`generate` wrote."""

    target: str  # "duckdb" or the redacted PostgreSQL URL
    rows: dict[str, int]  # "<database>.<view>" -> rows
    truth_rows: dict[str, int]
    seconds: float
    paths: dict[str, str]  # database (and "truth") -> file path or schema
    persons: int
    faults: dict[str, int] = field(default_factory=dict)
    reference_date: dt.date | None = None

    @property
    def truth_location(self) -> str:
        return self.paths["truth"]

    def __str__(self) -> str:
        lines = [
            (
                f"synthetic LEO written to {self.target}: {self.persons:,} persons, "
                f"{sum(self.rows.values()):,} source rows in {len(self.rows)} views, "
                f"{sum(self.truth_rows.values()):,} truth rows, {self.seconds:.1f} s"
            )
        ]
        for name, path in self.paths.items():
            lines.append(f"  {name}: {path}")
        if self.faults:
            lines.append(
                "  faults: " + ", ".join(f"{k}={v}" for k, v in sorted(self.faults.items()))
            )
        return "\n".join(lines)


@dataclass(frozen=True)
class RateRow:
    """One headline rate beside its published target."""

    measure: str
    source: str  # "truth" or "views"
    value: float | None
    target: float
    tolerance: float
    n: int
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.value is not None and abs(self.value - self.target) <= self.tolerance


def truth_path(settings: Settings) -> Path:
    return settings.source_dir_path() / "leo_truth.duckdb"
