"""Identifiers (PMR, EduKey, ae_id, ILR keys), the three LEO lookups and injected linkage faults."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .config import FaultRates
from .population import Persons
from .util import feistel, key_from, stream, ymd

# identifier domains: a per-cohort block of sequence numbers, scrambled by a keyed permutation
COHORT_BLOCK = 1 << 27
RECORD_BLOCK = 1 << 23
PERSON_FAULTS = (
    "overmatch_pmr",
    "overmatch_edukey",
    "undermatch_pmr",
    "undermatch_edukey",
    "unlinked_pmr",
    "orphan_edukey",
    "pmr_conflict",
    "overmatch_cohort",
)
PAIR_FAULTS = (
    "overmatch_pmr",
    "overmatch_edukey",
    "pmr_conflict",
)  # partner drawn from the same cohort
BASE_SECOND_PMR = 0.015
BASE_SECOND_EDUKEY = 0.02


class IdentifierSpaceError(ValueError):
    """Too many pupils per cohort for the identifier domains."""


def pmr_codes(seed: int, seq: np.ndarray) -> np.ndarray:
    return feistel(seq, 56, key_from(seed, "pmr"))


def edukey_codes(seed: int, seq: np.ndarray) -> np.ndarray:
    return feistel(seq, 42, key_from(seed, "edukey"))


def ae_codes(seed: int, seq: np.ndarray) -> np.ndarray:
    return feistel(seq, 48, key_from(seed, "ae_id")) + 1


def recordid_codes(seed: int, seq: np.ndarray) -> np.ndarray:
    return feistel(seq, 30, key_from(seed, "recordid")) + 1


def external_codes(seed: int, seq: np.ndarray) -> np.ndarray:
    return feistel(seq, 44, key_from(seed, "external_id")) + 1_000_000


def learner_codes(seed: int, seq: np.ndarray) -> np.ndarray:
    return feistel(seq, 36, key_from(seed, "learner_id"))


@dataclass
class PartnerCohort:
    """The linked persons of another generated cohort, for over-matches across cohorts
    (overmatch_cohort)."""

    cohort: int
    cohort_index: int
    linked: np.ndarray  # per person of that cohort
    pid: np.ndarray  # their global true person ids


@dataclass
class Identity:
    """Who carries which identifier, and the lookups as DfE delivers them."""

    pmr1: np.ndarray  # scrambled code per person
    pmr2: np.ndarray  # -1 when none
    pmr_switch: np.ndarray  # day from which records use pmr2
    ek1: np.ndarray  # -1 when the person has no EduKey (unlinked, or over-matched victim)
    ek2: np.ndarray
    ek_switch: np.ndarray
    out_ek1: (
        np.ndarray
    )  # EduKey under which the person's outcome rows are written (-1 = not in LEO)
    out_ek2: np.ndarray
    ae_id: np.ndarray  # -1 = unlinked (the person's own ae_id)
    ae_extra: np.ndarray  # the second ae_id of an under-matched person, else -1
    # the ae_id the lookups file the person's identifiers under (another cohort's for
    # overmatch_cohort)
    ae_link: np.ndarray
    pmr_lookup: dict  # ae_id, pmr (codes), person
    edukey_lookup: dict  # ae_id, edukey (codes), person
    # fault_type, ae_id, id_type, id_code, person, other_person (index here), other_pid (global; -1
    # none)
    faults: dict
    fault_counts: dict  # fault type -> (eligible, injected)
    recordid_fault_rate: float


def plan_identity(
    seed: int,
    p: Persons,
    cohort_index: int,
    rates: FaultRates,
    partner: PartnerCohort | None = None,
) -> Identity:
    """Identifiers, lookups and injected faults of one cohort. ``partner``: the cohort whose linked
    persons receive this cohort's overmatch_cohort victims (None: no such fault is injected)."""
    n = p.n
    if 2 * n + 2 > COHORT_BLOCK:
        raise IdentifierSpaceError(
            f"at most {COHORT_BLOCK // 2 - 1:,} pupils per cohort are supported"
        )
    rng = stream(seed, "identity", p.cohort)
    frng = stream(seed, "faults", p.cohort)
    base = cohort_index * COHORT_BLOCK
    i = np.arange(n, dtype=np.int64)
    pmr1 = pmr_codes(seed, base + 2 * i)
    pmr2_all = pmr_codes(seed, base + 2 * i + 1)
    ek1_all = edukey_codes(seed, base + 2 * i)
    ek2_all = edukey_codes(seed, base + 2 * i + 1)
    ae1 = ae_codes(seed, base + 2 * i)
    ae2_all = ae_codes(seed, base + 2 * i + 1)
    two_pmr = rng.random(n) < BASE_SECOND_PMR
    two_ek = rng.random(n) < BASE_SECOND_EDUKEY
    pmr_switch = ymd(p.cohort - 10, 9, 1) + rng.integers(0, 10 * 365, n)
    ek_switch = ymd(p.cohort, 9, 1) + rng.integers(0, 8 * 365, n)
    linked = p.linked.copy()

    # ---- faults: victims (and partners) drawn from linked persons, each person in at most one
    available = np.flatnonzero(linked)
    frng.shuffle(available)
    pos = 0
    chosen: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    counts: dict[str, tuple[int, int]] = {}
    n_linked = int(linked.sum())
    for name in PERSON_FAULTS:
        rate = getattr(rates, name)
        if name == "overmatch_cohort" and partner is None:
            chosen[name] = (np.empty(0, np.int64), np.empty(0, np.int64))
            counts[name] = (0, 0)
            continue
        k = int(frng.binomial(n_linked, rate)) if rate > 0 else 0
        k = min(k, (available.size - pos) // (2 if name in PAIR_FAULTS else 1))  # tiny cohorts only
        victims = np.sort(available[pos : pos + k])
        pos += k
        partners = np.empty(0, np.int64)
        if name in PAIR_FAULTS:
            partners = available[pos : pos + k]
            pos += k
        elif name == "overmatch_cohort" and k:
            # partners: linked persons of the partner cohort (indices there), each taking at most
            # one victim
            pool = np.flatnonzero(partner.linked)
            victims = victims[: min(k, pool.size)]
            partners = np.sort(
                stream(seed, "faults", p.cohort, "overmatch_cohort").choice(
                    pool, victims.size, replace=False
                )
            )
        chosen[name] = (victims, partners)
        counts[name] = (n_linked, int(victims.size))

    v, _ = chosen["undermatch_pmr"]
    two_pmr[v] = True
    v, _ = chosen["undermatch_edukey"]
    two_ek[v] = True
    pmr2 = np.where(two_pmr, pmr2_all, -1)
    ek1 = np.where(linked, ek1_all, -1)
    ek2 = np.where(linked & two_ek, ek2_all, -1)
    ae_id = np.where(linked, ae1, -1)
    ae_extra = np.full(n, -1, np.int64)
    # overmatch_cohort: every identifier of the victim is filed under the partner's ae_id (LEO
    # resolved two people of different ages as one); the victim's own ae_id is in no lookup
    ae_link = ae_id.copy()
    b, a = chosen["overmatch_cohort"]
    cross_ae = (
        ae_codes(seed, partner.cohort_index * COHORT_BLOCK + 2 * a)
        if b.size
        else np.empty(0, np.int64)
    )
    ae_link[b] = cross_ae
    out_ek1 = ek1.copy()
    out_ek2 = ek2.copy()

    # ---- PMR lookup: one row per linked person's PMR
    pl_person = np.concatenate([i[linked], i[linked & two_pmr]])
    pl_pmr = np.concatenate([pmr1[linked], pmr2[linked & two_pmr]])
    pl_slot = np.concatenate(
        [np.zeros(linked.sum(), np.int64), np.ones((linked & two_pmr).sum(), np.int64)]
    )
    pl_ae = ae_link[pl_person].copy()
    keep = np.ones(pl_person.size, bool)
    fault_rows = []

    def frow(name, ae, id_type, id_value, person, other, other_pid=None):
        other = np.asarray(other, np.int64)
        if other_pid is None:
            other_pid = np.where(other >= 0, p.pid[np.maximum(other, 0)], -1)
        fault_rows.append(
            {
                "fault_type": np.full(np.size(person), name, object),
                "ae_id": np.asarray(ae, np.int64),
                "id_type": np.full(np.size(person), id_type, object),
                "id_code": np.asarray(id_value, np.int64),
                "person": np.asarray(person, np.int64),
                "other_person": other,
                "other_pid": np.asarray(other_pid, np.int64),
            }
        )

    row_first = np.full(n, -1, np.int64)
    row_first[pl_person[pl_slot == 0]] = np.flatnonzero(pl_slot == 0)
    row_second = np.full(n, -1, np.int64)
    row_second[pl_person[pl_slot == 1]] = np.flatnonzero(pl_slot == 1)

    b, a = chosen["overmatch_pmr"]
    pl_ae[row_first[b]] = ae_id[a]
    frow("overmatch_pmr", ae_id[a], "pmr", pmr1[b], b, a)
    b, _ = chosen["undermatch_pmr"]
    ae_extra[b] = ae2_all[b]
    pl_ae[row_second[b]] = ae2_all[b]
    frow("undermatch_pmr", ae2_all[b], "pmr", pmr2[b], b, np.full(b.size, -1))
    b, _ = chosen["unlinked_pmr"]
    keep[row_first[b]] = False
    frow("unlinked_pmr", ae_id[b], "pmr", pmr1[b], b, np.full(b.size, -1))
    b, a = chosen["pmr_conflict"]
    extra_ae, extra_pmr, extra_person = ae_id[a], pmr1[b], b
    frow("pmr_conflict", ae_id[a], "pmr", pmr1[b], b, a)
    pmr_lookup = {
        "ae_id": np.concatenate([pl_ae[keep], extra_ae]),
        "pmr": np.concatenate([pl_pmr[keep], extra_pmr]),
        "person": np.concatenate([pl_person[keep], extra_person]),
    }

    # ---- EduKey lookup
    el_person = np.concatenate([i[linked], i[linked & two_ek]])
    el_ek = np.concatenate([ek1[linked], ek2[linked & two_ek]])
    el_slot = np.concatenate(
        [np.zeros(linked.sum(), np.int64), np.ones((linked & two_ek).sum(), np.int64)]
    )
    el_ae = ae_link[el_person].copy()
    ekeep = np.ones(el_person.size, bool)
    e_first = np.full(n, -1, np.int64)
    e_first[el_person[el_slot == 0]] = np.flatnonzero(el_slot == 0)
    e_second = np.full(n, -1, np.int64)
    e_second[el_person[el_slot == 1]] = np.flatnonzero(el_slot == 1)
    b, a = chosen["overmatch_edukey"]
    # the victim's HMRC/DWP rows come under the partner's EduKey; the victim has no EduKey of their
    # own
    ekeep[e_first[b]] = False
    ekeep[e_second[b][e_second[b] >= 0]] = False
    out_ek1[b] = ek1[a]
    out_ek2[b] = -1
    ek1[b] = -1
    ek2[b] = -1
    frow("overmatch_edukey", ae_id[a], "edukey", ek1[a], b, a)
    b, _ = chosen["undermatch_edukey"]
    el_ae[e_second[b]] = ae2_all[b]
    ae_extra[b] = ae2_all[b]
    frow("undermatch_edukey", ae2_all[b], "edukey", ek2[b], b, np.full(b.size, -1))
    b, _ = chosen["orphan_edukey"]
    ekeep[e_first[b]] = False
    frow("orphan_edukey", ae_id[b], "edukey", ek1[b], b, np.full(b.size, -1))
    edukey_lookup = {"ae_id": el_ae[ekeep], "edukey": el_ek[ekeep], "person": el_person[ekeep]}
    b, a = chosen["overmatch_cohort"]
    frow(
        "overmatch_cohort",
        cross_ae,
        "ae_id",
        ae_id[b],
        b,
        np.full(b.size, -1),
        partner.pid[a] if b.size else np.empty(0, np.int64),
    )

    if fault_rows:
        faults = {k: np.concatenate([r[k] for r in fault_rows]) for k in fault_rows[0]}
    else:
        faults = {
            "fault_type": np.zeros(0, object),
            "ae_id": np.zeros(0, np.int64),
            "id_type": np.zeros(0, object),
            "id_code": np.zeros(0, np.int64),
            "person": np.zeros(0, np.int64),
            "other_person": np.zeros(0, np.int64),
            "other_pid": np.zeros(0, np.int64),
        }
    return Identity(
        pmr1,
        pmr2,
        pmr_switch,
        ek1,
        ek2,
        ek_switch,
        out_ek1,
        out_ek2,
        ae_id,
        ae_extra,
        ae_link,
        pmr_lookup,
        edukey_lookup,
        faults,
        counts,
        rates.unlinked_recordid,
    )


def pmr_at(ident: Identity, person: np.ndarray, when: np.ndarray) -> np.ndarray:
    """The PMR a record made on day ``when`` carries."""
    use2 = (ident.pmr2[person] >= 0) & (when >= ident.pmr_switch[person])
    return np.where(use2, ident.pmr2[person], ident.pmr1[person])


def edukey_at(ident: Identity, person: np.ndarray, when: np.ndarray) -> np.ndarray:
    """The EduKey under which an outcome starting on ``when`` is recorded (-1 = not in LEO)."""
    use2 = (ident.out_ek2[person] >= 0) & (when >= ident.ek_switch[person])
    return np.where(use2, ident.out_ek2[person], ident.out_ek1[person])
