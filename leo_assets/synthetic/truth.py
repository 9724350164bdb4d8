"""The truth tables: who is who, what really happened, which faults were injected.

See the package docstring for the schema. Built per cohort as Arrow tables.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from .lifecourse import ACTIVITIES, DETAILS, Life
from .linkage import PERSON_FAULTS, Identity
from .population import ETHNICITIES, REGIONS, Persons, Universe, capped_points_delivered
from .util import dates, fmt_ids, ints
from .views import NATURAL_KEYS, SUMMED_SOURCES, Ctx, edukey_strings, pmr_strings

TRUTH_COLUMNS: dict[str, list[tuple[str, str]]] = {
    "truth_run": [
        ("config", "VARCHAR"),
        ("seed", "BIGINT"),
        ("reference_date", "DATE"),
        ("cohorts", "VARCHAR"),
        ("pupils_per_cohort", "BIGINT"),
        ("generator_version", "VARCHAR"),
    ],
    "truth_person": [
        ("person_id", "BIGINT"),
        ("cohort", "INTEGER"),
        ("sex", "VARCHAR"),
        ("birth_date", "DATE"),
        ("ethnicity", "VARCHAR"),
        ("eal", "BOOLEAN"),
        ("fsm", "BOOLEAN"),
        ("sen", "VARCHAR"),
        ("idaci_score", "DOUBLE"),
        ("region", "VARCHAR"),
        ("la_code", "INTEGER"),
        ("lsoa11", "VARCHAR"),
        ("secondary_school", "VARCHAR"),
        ("prior_attainment", "DOUBLE"),
        ("ks4_attainment", "DOUBLE"),
        ("level2_em", "BOOLEAN"),
        ("capped_point_score", "DOUBLE"),
        ("att8", "DOUBLE"),
        ("p8", "DOUBLE"),
        ("linked", "BOOLEAN"),
        ("ae_id", "BIGINT"),
        ("n_pmr", "INTEGER"),
        ("n_edukey", "INTEGER"),
    ],
    "truth_identifier": [
        ("id_type", "VARCHAR"),
        ("id_value", "VARCHAR"),
        ("person_id", "BIGINT"),
        ("slot", "INTEGER"),
    ],
    "truth_fault": [
        ("fault_id", "BIGINT"),
        ("fault_type", "VARCHAR"),
        ("ae_id", "BIGINT"),
        ("id_type", "VARCHAR"),
        ("id_value", "VARCHAR"),
        ("person_id", "BIGINT"),
        ("other_person_id", "BIGINT"),
    ],
    "truth_fault_rate": [
        ("cohort", "INTEGER"),
        ("fault_type", "VARCHAR"),
        ("unit", "VARCHAR"),
        ("requested_rate", "DOUBLE"),
        ("eligible", "BIGINT"),
        ("injected", "BIGINT"),
    ],
    "truth_activity_spell": [
        ("person_id", "BIGINT"),
        ("activity_type", "VARCHAR"),
        ("detail", "VARCHAR"),
        ("start_date", "DATE"),
        ("end_date", "DATE"),
        ("open_at_reference", "BOOLEAN"),
    ],
    "truth_earnings": [
        ("person_id", "BIGINT"),
        ("taxyear", "INTEGER"),
        ("paye_earnings", "BIGINT"),
        ("self_employment_earnings", "BIGINT"),
    ],
    # what characteristics.sql should recover (issue #16), one row per person of the cohort
    "truth_characteristic": [
        ("person_id", "BIGINT"),
        ("is_ever_cin", "INTEGER"),
        ("is_ever_looked_after", "INTEGER"),
        ("n_fixed_exclusions_ks4", "INTEGER"),
        ("was_permanently_excluded_ks4", "INTEGER"),
        ("was_in_ap_ks4", "INTEGER"),
        ("was_in_pru_ks4", "INTEGER"),
        ("region_at_16", "VARCHAR"),
        ("region_at_18", "VARCHAR"),
        ("region_at_25", "VARCHAR"),
        ("ks5_year", "INTEGER"),
        ("has_plams_aim", "INTEGER"),
    ],
}
TRUTH_SORT = {
    "truth_person": ["person_id"],
    "truth_identifier": ["id_type", "id_value", "person_id"],
    "truth_fault": ["fault_id"],
    "truth_fault_rate": ["cohort", "fault_type"],
    "truth_activity_spell": ["person_id", "activity_type", "start_date", "end_date", "detail"],
    "truth_earnings": ["person_id", "taxyear"],
    "truth_characteristic": ["person_id"],
}


def record_truth_columns(catalog, source: str, dialect_type) -> list[tuple[str, str]]:
    """Columns of truth_record_<source>: [view], natural key stems (declared types), person_id[,
    amount]."""
    decl = catalog.decls[source]
    types = {c.name: c.type for c in decl.columns}
    cols = []
    if decl.is_year_split:
        cols.append(("view", "VARCHAR"))
    cols += [(stem, dialect_type(types[stem])) for stem in NATURAL_KEYS[source]]
    cols.append(("person_id", "BIGINT"))
    if source in SUMMED_SOURCES:
        cols.append(("amount", "BIGINT"))
    return cols


def person_table(p: Persons, ident: Identity, universe: Universe, school_str: pa.Array) -> pa.Table:
    sen = np.array(["N", "K", "E"], object)[p.sen]
    n_ek = (ident.ek1 >= 0).astype(np.int64) + (ident.ek2 >= 0)
    return pa.table(
        {
            "person_id": ints(p.pid),
            "cohort": ints(np.full(p.n, p.cohort), pa.int32()),
            "sex": pa.array(np.where(p.female, "F", "M"), pa.string()),
            "birth_date": dates(p.birth),
            "ethnicity": pa.array(np.array(ETHNICITIES, object)[p.eth], pa.string()),
            "eal": pa.array(p.eal),
            "fsm": pa.array(p.fsm),
            "sen": pa.array(sen, pa.string()),
            "idaci_score": pa.array(np.round(p.idaci, 4)),
            "region": pa.array(np.array(REGIONS, object)[p.region], pa.string()),
            "la_code": ints(universe.la_code[p.la], pa.int32()),
            "lsoa11": fmt_ids("E01", p.lsoa, 6),
            "secondary_school": school_str.take(pa.array(p.secondary)),
            "prior_attainment": pa.array(np.round(p.prior, 4)),
            "ks4_attainment": pa.array(np.round(p.z4, 4)),
            "level2_em": pa.array(p.level2_em),
            "capped_point_score": pa.array(capped_points_delivered(p.ptscnewe, p.cohort)),
            "att8": pa.array(p.att8),
            "p8": pa.array(p.p8),
            "linked": pa.array(ident.ae_id >= 0),
            "ae_id": ints(ident.ae_id, null=ident.ae_id < 0),
            "n_pmr": ints(1 + (ident.pmr2 >= 0), pa.int32()),
            "n_edukey": ints(n_ek, pa.int32()),
        }
    )


def identifier_table(ctx: Ctx) -> pa.Table:
    p, ident = ctx.p, ctx.ident
    parts: list[tuple[str, pa.Array, np.ndarray, np.ndarray]] = []
    i = np.arange(p.n)
    two = ident.pmr2 >= 0
    parts.append(("pmr", pmr_strings(ident.pmr1), i, np.ones(p.n, np.int64)))
    parts.append(("pmr", pmr_strings(ident.pmr2[two]), i[two], np.full(two.sum(), 2)))
    for slot, ek in ((1, ident.ek1), (2, ident.ek2)):
        m = ek >= 0
        parts.append(("edukey", edukey_strings(ek[m]), i[m], np.full(m.sum(), slot)))
    for slot, ae in ((1, ident.ae_id), (2, ident.ae_extra)):
        m = ae >= 0
        parts.append(
            (
                "ae_id",
                pa.array(ae[m].astype(str).astype(object), pa.string()),
                i[m],
                np.full(m.sum(), slot),
            )
        )
    if ctx.ilr_ids is not None:
        ids = ctx.ilr_ids
        parts.append(
            (
                "recordid",
                pa.array(ids["recordid"].astype(str).astype(object), pa.string()),
                ids["person"],
                np.ones(ids["person"].size, np.int64),
            )
        )
        parts.append(
            (
                "external_id",
                pa.array(ids["external_id"].astype(str).astype(object), pa.string()),
                ids["person"],
                np.ones(ids["person"].size, np.int64),
            )
        )
    if ctx.other_records is not None:
        o = ctx.other_records
        parts.append(
            (
                "recordid",
                pa.array(o["recordid"].astype(str).astype(object), pa.string()),
                o["person"],
                np.ones(o["person"].size, np.int64),
            )
        )
    return pa.table(
        {
            "id_type": pa.array(
                np.concatenate([np.full(len(v), t, object) for t, v, _, _ in parts]), pa.string()
            ),
            "id_value": pa.concat_arrays([v for _, v, _, _ in parts]),
            "person_id": ints(p.pid[np.concatenate([pp for _, _, pp, _ in parts])]),
            "slot": ints(np.concatenate([s for _, _, _, s in parts]), pa.int32()),
        }
    )


def fault_tables(ctx: Ctx, rates: dict[str, float]) -> tuple[pa.Table, pa.Table]:
    p, ident = ctx.p, ctx.ident
    f = ident.faults
    id_value = np.empty(f["person"].size, object)
    is_pmr = f["id_type"] == "pmr"
    is_ek = f["id_type"] == "edukey"
    is_ae = f["id_type"] == "ae_id"
    id_value[is_pmr] = pmr_strings(f["id_code"][is_pmr]).to_numpy(zero_copy_only=False)
    id_value[is_ek] = edukey_strings(f["id_code"][is_ek]).to_numpy(zero_copy_only=False)
    id_value[is_ae] = f["id_code"][is_ae].astype(str).astype(object)
    ftype, ae, idt, person, other = (
        f["fault_type"],
        f["ae_id"],
        f["id_type"],
        f["person"],
        f["other_pid"],
    )
    if ctx.recordid_faults is not None and ctx.recordid_faults["person"].size:
        r = ctx.recordid_faults
        k = r["person"].size
        ftype = np.concatenate([ftype, np.full(k, "unlinked_recordid", object)])
        ae = np.concatenate([ae, r["ae_id"]])
        idt = np.concatenate([idt, np.full(k, "recordid", object)])
        id_value = np.concatenate([id_value, r["recordid"].astype(str).astype(object)])
        person = np.concatenate([person, r["person"]])
        other = np.concatenate([other, np.full(k, -1)])
    n = person.size
    base = (p.cohort - 2000) * 10_000_000
    faults = pa.table(
        {
            "fault_id": ints(base + np.arange(n)),
            "fault_type": pa.array(ftype, pa.string()),
            "ae_id": ints(ae),
            "id_type": pa.array(idt, pa.string()),
            "id_value": pa.array(id_value, pa.string()),
            "person_id": ints(p.pid[person]),
            "other_person_id": ints(np.where(other >= 0, other, 0), null=other < 0),
        }
    )
    names = list(PERSON_FAULTS) + ["unlinked_recordid"]
    counts = [ident.fault_counts.get(nm, (0, 0)) for nm in names]
    rate_tbl = pa.table(
        {
            "cohort": ints(np.full(len(names), p.cohort), pa.int32()),
            "fault_type": pa.array(names, pa.string()),
            "unit": pa.array(
                ["ilr_record" if nm == "unlinked_recordid" else "linked_person" for nm in names],
                pa.string(),
            ),
            "requested_rate": pa.array([float(rates[nm]) for nm in names]),
            "eligible": ints(np.array([c[0] for c in counts])),
            "injected": ints(np.array([c[1] for c in counts])),
        }
    )
    return faults, rate_tbl


def spell_table(p: Persons, life: Life) -> pa.Table:
    s = life.spells
    return pa.table(
        {
            "person_id": ints(p.pid[s["person"]]),
            "activity_type": pa.array(np.array(ACTIVITIES, object)[s["activity"]], pa.string()),
            "detail": pa.array(np.array(DETAILS, object)[s["detail"]], pa.string()),
            "start_date": dates(s["start"]),
            "end_date": dates(s["end"]),
            "open_at_reference": pa.array(s["open"]),
        }
    )


def earnings_table(p: Persons, life: Life) -> pa.Table:
    jy, se = life.job_years, life.selfemp
    person = np.concatenate([jy["person"], se["person"]])
    ty = np.concatenate([jy["taxyear"], se["taxyear"]])
    paye = np.concatenate([jy["amount"], np.zeros(se["person"].size, np.int64)])
    sea = np.concatenate([np.zeros(jy["person"].size, np.int64), se["earnings"]])
    has_se = np.concatenate([np.zeros(jy["person"].size, bool), np.ones(se["person"].size, bool)])
    has_pa = ~has_se
    if person.size == 0:
        e = np.zeros(0, np.int64)
        return pa.table(
            {
                "person_id": ints(e),
                "taxyear": ints(e, pa.int32()),
                "paye_earnings": ints(e),
                "self_employment_earnings": ints(e),
            }
        )
    key = person * 10_000 + ty
    order = np.argsort(key, kind="stable")
    key, person, ty, paye, sea, has_se, has_pa = (
        a[order] for a in (key, person, ty, paye, sea, has_se, has_pa)
    )
    new = np.r_[True, key[1:] != key[:-1]]
    st = np.flatnonzero(new)
    return pa.table(
        {
            "person_id": ints(p.pid[person[st]]),
            "taxyear": ints(ty[st] * 100 + (ty[st] + 1) % 100, pa.int32()),
            "paye_earnings": ints(
                np.add.reduceat(paye, st), null=~np.logical_or.reduceat(has_pa, st)
            ),
            "self_employment_earnings": ints(
                np.add.reduceat(sea, st), null=~np.logical_or.reduceat(has_se, st)
            ),
        }
    )
