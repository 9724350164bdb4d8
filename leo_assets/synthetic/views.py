"""Source-view rows of one cohort, with the sources' conventions, sentinels, duplicates and gaps.

Each builder yields ``(source, PhysicalView, table, truth)``: the rows of one physical view (Arrow,
stems as column names, logical types) and the record-level truth of those rows (the view's
natural key and the true person). A view may be yielded in several chunks.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from leo_assets.sqlproject.sources import PhysicalView, SourceCatalog

from .lifecourse import APP, BENEFIT_CODES, BENEFIT_OOW, FE, HE, SFC, TRN, A, D, Life
from .linkage import (
    RECORD_BLOCK,
    IdentifierSpaceError,
    Identity,
    edukey_at,
    external_codes,
    learner_codes,
    pmr_at,
    recordid_codes,
)
from .needs import Needs
from .population import (
    ETHNICITIES,
    FIRST_LANGUAGES,
    OLD_ETHNIC,
    Persons,
    Universe,
    ptq_points,
)
from .util import (
    OPEN_DAY,
    ZERO_DAY,
    academic_year_end,
    blank_where,
    census_date,
    codes,
    dates,
    day,
    expand_ranges,
    fmt_ids,
    ints,
    null_where,
    sigmoid,
    stream,
    tax_year_start,
    ymd,
)

# natural key of every person-level source: (stems); year-split sources add the view name
NATURAL_KEYS: dict[str, tuple[str, ...]] = {
    "school_census": (
        "pupilmatchingrefanonymous",
        "laestab_anon",
        "enrolstatus",
        "recordstatus",
        "yearofbirth",
        "monthofbirth",
    ),
    "ks4": ("ks4_pupilmatchingrefanonymous", "ks4_laestab_anon", "ks4_natres", "ks4_endks"),
    "nccis": (
        "nccis_pupilmatchingrefanonymous",
        "nccis_acadyr",
        "nccis_monthno",
        "nccis_cohort_status",
        "nccis_current_activity_code",
    ),
    "hesa": ("he_pupilmatchingrefanonymous", "he_comdate"),
    "ilr_learners": ("external_id",),
    "ilr_aims": ("external_id", "learning_aim_id", "start_date"),
    "pmr_lookup": ("ae_id", "pupilmatchingrefanonymous"),
    "edukey_lookup": ("ae_id", "edukey"),
    "education_records_lookup": ("ae_id", "recordid"),
    "employment": ("edukey", "startdate", "enddate"),
    "earnings": ("edukey", "taxyear"),
    "self_assessment": ("edukey", "taxyear"),
    "benefits": ("edukey", "benefit_type", "startdate"),
    # issue #16 sources (views_more)
    "geography": ("edukey", "taxyear"),
    "ap_census": ("ap_pupilmatchingrefanonymous", "ap_acadyr", "ap_lanumber_anon"),
    "pru_census": ("pru_pupilmatchingrefanonymous", "pru_academicyear", "pru_laestab_anon"),
    "cin": ("cin_pupilmatchingrefanonymous", "cin_acadyr", "cin_cinreferraldate"),
    "cla": ("cla_pupilmatchingrefanonymous", "cla_processing_year"),
    "exclusions": ("pupilmatchingrefanonymous", "startdate", "category"),
    "absence": ("pupilmatchingrefanonymous", "laestab_anon"),
    "plams": ("pl_pupilmatchingrefanonymous", "pl_qan_att", "pl_qan_aat", "pl_learningstartdate"),
    "ks5": ("ks5_pupilmatchingrefanonymous",),
}
# sources with blank ('') identifiers on some rows: identifier column of the natural key
BLANKABLE = {
    "school_census": "pupilmatchingrefanonymous",
    "ks4": "ks4_pupilmatchingrefanonymous",
    "hesa": "he_pupilmatchingrefanonymous",
    "employment": "edukey",
    "benefits": "edukey",
}
# sources whose rows can sum several people (an over-matched EduKey): their truth has an amount
# per person
SUMMED_SOURCES = ("earnings", "self_assessment")

AIMS = [
    # ref, qualtype, title, level, v2 level, ssa tier 2
    ("ZPROG001", "ZPROG", "Apprenticeship / traineeship programme aim", -1, -1, "-1"),
    ("60000011", "0002", "GCE A level in Mathematics", 3, 3, "2.1"),
    ("60000012", "0002", "GCE A level in English Literature", 3, 3, "12.2"),
    ("60000013", "0002", "GCE A level in Biology", 3, 3, "2.1"),
    ("60000014", "0002", "GCE A level in Psychology", 3, 3, "12.1"),
    ("60000015", "0002", "GCE A level in History", 3, 3, "11.1"),
    ("60000016", "0002", "GCE A level in Business Studies", 3, 3, "15.3"),
    ("60000017", "0001", "GCE AS level in Chemistry", 3, 3, "2.1"),
    ("60000021", "0003", "GCSE in Mathematics", 2, 15, "2.2"),
    ("60000022", "0003", "GCSE in English Language", 2, 15, "12.1"),
    ("60000031", "1435", "Pearson BTEC Level 3 Extended Diploma in Business", 3, 3, "15.3"),
    ("60000032", "1435", "Pearson BTEC Level 3 Extended Diploma in Sport", 3, 3, "8.2"),
    ("60000033", "1435", "OCR Cambridge Technical Extended Diploma in IT", 3, 3, "6.1"),
    ("60000034", "1447", "Level 3 Diploma in Health and Social Care", 3, 3, "1.3"),
    ("60000041", "1446", "Level 2 Diploma in Hair and Beauty", 2, 2, "7.3"),
    ("60000042", "1446", "Level 2 Diploma in Construction", 2, 2, "5.2"),
    ("60000043", "1446", "Pearson BTEC Level 2 Diploma in Engineering", 2, 2, "4.1"),
    ("60000051", "1445", "Level 1 Diploma in Vocational Studies", 1, 1, "14.1"),
    ("60000061", "0036", "NVQ Level 2 in Business and Administration", 2, 2, "15.2"),
    ("60000062", "0036", "NVQ Level 3 in Engineering Maintenance", 3, 3, "4.1"),
    ("60000063", "0036", "NVQ Level 2 in Health and Social Care", 2, 2, "1.3"),
    ("60000064", "0087", "Level 3 Certificate in Hospitality (technical certificate)", 3, 3, "7.4"),
    ("60000071", "1442", "Functional Skills qualification in English", 1, 1, "14.2"),
    ("60000072", "1442", "Functional Skills qualification in Mathematics", 1, 1, "14.2"),
    ("60000081", "2999", "Certificate in ESOL Skills for Life", 1, 1, "14.2"),
    ("Z0007834", "ZWRK", "Work placement (traineeship)", -1, -1, "14.1"),
    ("60000091", "1444", "Level 2 Certificate in Customer Service", 2, 2, "15.2"),
]
AIM = {a[0]: i for i, a in enumerate(AIMS)}
A_LEVELS = [
    AIM[r] for r in ("60000011", "60000012", "60000013", "60000014", "60000015", "60000016")
]
BTEC3 = [AIM[r] for r in ("60000031", "60000032", "60000033", "60000034")]
L2DIP = [AIM[r] for r in ("60000041", "60000042", "60000043")]
NVQ = [AIM[r] for r in ("60000061", "60000062", "60000063")]
JACS = [
    "L100",
    "G400",
    "C800",
    "N100",
    "M100",
    "W100",
    "F100",
    "H300",
    "B700",
    "X300",
    "V100",
    "Q300",
    "C600",
    "A100",
]
HECOS = [
    "100450",
    "100366",
    "100497",
    "100078",
    "100485",
    "100059",
    "100417",
    "100190",
    "100290",
    "100456",
    "100302",
    "100319",
    "100433",
    "100267",
]


@dataclass
class Ctx:
    seed: int
    catalog: SourceCatalog
    cohort: int
    ci: int
    p: Persons
    life: Life
    ident: Identity
    universe: Universe
    ref: int  # reference day
    q: float  # quirk scale
    pmr_str: tuple[pa.Array, pa.Array]
    school_str: pa.Array
    recordid_faults: dict | None = None
    ilr_ids: dict | None = None  # every ILR learner record: external_id, recordid, person
    other_records: dict | None = None  # NPD / HESA records in education_records_lookup
    needs: Needs | None = None  # CIN, CLA, exclusions, AP/PRU placements, absence

    def rng(self, *names) -> np.random.Generator:
        return stream(self.seed, "views", self.cohort, *names)

    def quirk(self, rng: np.random.Generator, n: int, rate: float) -> np.ndarray:
        return rng.random(n) < min(1.0, rate * self.q)

    def pmr(self, person: np.ndarray, when: np.ndarray) -> pa.Array:
        code = pmr_at(self.ident, person, when)
        second = code == self.ident.pmr2[person]
        return pc.if_else(
            pa.array(second & (self.ident.pmr2[person] >= 0)),
            self.pmr_str[1].take(pa.array(person)),
            self.pmr_str[0].take(pa.array(person)),
        )


def pmr_strings(codes_: np.ndarray) -> pa.Array:
    return fmt_ids("P", np.maximum(codes_, 0), 17)


def edukey_strings(codes_: np.ndarray) -> pa.Array:
    return fmt_ids("E", np.maximum(codes_, 0), 13)


def school_strings(universe: Universe) -> pa.Array:
    return fmt_ids("", universe.school_code, 10)


def make_ctx(seed, catalog, cohort, ci, p, life, ident, universe, ref, q, school_str) -> Ctx:
    return Ctx(
        seed,
        catalog,
        cohort,
        ci,
        p,
        life,
        ident,
        universe,
        ref,
        q,
        (pmr_strings(ident.pmr1), pmr_strings(ident.pmr2)),
        school_str,
    )


def first_unique(*cols: np.ndarray) -> np.ndarray:
    """Mask of the first occurrence of each key (columns: integer arrays).

    A 64-bit hash of the key finds the candidate repeats; only those are compared exactly."""
    n = cols[0].size
    if n == 0:
        return np.zeros(0, bool)
    h = np.zeros(n, np.uint64)
    with np.errstate(over="ignore"):
        for c in cols:
            h = (h ^ np.asarray(c).astype(np.uint64)) * np.uint64(0x9E3779B97F4A7C15)
            h ^= h >> np.uint64(31)
    hs = np.sort(h)
    rep = hs[1:][hs[1:] == hs[:-1]]
    keep = np.ones(n, bool)
    if rep.size == 0:
        return keep
    cand = np.flatnonzero(np.isin(h, rep))
    keep[cand] = _first_unique_exact([np.asarray(c)[cand] for c in cols])
    return keep


def _first_unique_exact(cols: list[np.ndarray]) -> np.ndarray:
    n = cols[0].size
    order = np.lexsort([np.arange(n)] + [np.asarray(c) for c in reversed(cols)])
    same = np.ones(n - 1, bool)
    for c in cols:
        cs = np.asarray(c)[order]
        same &= cs[1:] == cs[:-1]
    keep_sorted = np.ones(n, bool)
    keep_sorted[1:] = ~same
    keep = np.empty(n, bool)
    keep[order] = keep_sorted
    return keep


def _table(pv: PhysicalView, cols: dict[str, pa.Array]) -> pa.Table:
    names, arrays = [], []
    for physical, stem, _decl in pv.columns:
        if stem not in cols:
            raise KeyError(f"synthetic generator has no values for {pv.view}.{physical}")
        names.append(physical)
        arrays.append(cols[stem])
    return pa.table(arrays, names=names)


def _truth(
    source: str, pv: PhysicalView, cols: dict[str, pa.Array], person_id: np.ndarray, amount=None
) -> pa.Table:
    present = {stem for _p, stem, _d in pv.columns}
    names, arrays = [], []
    n = len(person_id)
    if pv.part is not None:
        names.append("view")
        arrays.append(pa.array(np.full(n, pv.view, object), pa.string()))
    for stem in NATURAL_KEYS[source]:
        names.append(stem)
        arrays.append(cols[stem] if stem in present else pa.nulls(n))
    names.append("person_id")
    arrays.append(pa.array(np.asarray(person_id, np.int64)))
    if source in SUMMED_SOURCES:
        names.append("amount")
        arrays.append(pa.array(np.asarray(amount if amount is not None else np.zeros(n), np.int64)))
    return pa.table(arrays, names=names)


def _emit(ctx: Ctx, source: str, pv: PhysicalView, cols: dict, person: np.ndarray, amount=None):
    return source, pv, _table(pv, cols), _truth(source, pv, cols, ctx.p.pid[person], amount)


def _acadyr(ay: np.ndarray | int, n: int | None = None) -> pa.Array:
    ay = np.asarray(ay, np.int64)
    if ay.ndim == 0:
        ay = np.full(n or 0, int(ay))
    labels = {int(y): f"{y - 1}/{y}" for y in np.unique(ay)}
    keys = np.array(sorted(labels))
    return codes(np.searchsorted(keys, ay), [labels[k] for k in keys])


def _sen_code(sen: np.ndarray, year: int, rng) -> np.ndarray:
    if year <= 2014:
        support = np.where(rng.random(sen.size) < 0.6, "A", "P")
        return np.where(sen == 2, "S", np.where(sen == 1, support, "N"))
    return np.where(sen == 2, "E", np.where(sen == 1, "K", "N"))


# ================================================================ school census
def census_views(ctx: Ctx) -> Iterator:
    p, life = ctx.p, ctx.life
    e = life.enrol
    prev_date = {}
    views = sorted(
        ctx.catalog.views("school_census"), key=lambda v: (census_date(v.part, v.year), v.view)
    )
    last = None
    for pv in views:
        d = day(census_date(pv.part, pv.year))
        prev_date[pv.view] = last
        last = d
    for pv in views:
        d = day(census_date(pv.part, pv.year))
        if d > ctx.ref:
            continue
        dprev = prev_date[pv.view]
        has_onroll = any(stem == "onroll" for _p, stem, _d in pv.columns)
        onroll = (e["entry"] <= d) & (e["leave"] >= d)
        leaver = np.zeros_like(onroll)
        if has_onroll and dprev is not None:
            leaver = (
                (~e["natural"]) & (e["leave"] < d) & (e["leave"] > dprev) & (e["entry"] <= dprev)
            )
        if 2010 <= pv.year <= 2013:
            # PRUs made their own census (pru_census) from 2010 to 2013
            onroll &= ctx.universe.school_kind[e["school"]] != 3
            leaver &= ctx.universe.school_kind[e["school"]] != 3
        sel = np.flatnonzero(onroll | leaver)
        if sel.size == 0:
            continue
        rng = ctx.rng("census", pv.view)
        person = e["person"][sel]
        school = e["school"][sel]
        sub = e["subsidiary"][sel]
        is_on = onroll[sel]
        # dual registration: main record is M while a subsidiary S record exists
        dual_people = np.unique(person[sub & is_on])
        enrol = np.where(sub, "S", np.where(np.isin(person, dual_people) & is_on, "M", "C"))
        # duplicate records (NPD's own de-duplication outcome)
        dup = ctx.quirk(rng, sel.size, 0.01) & is_on & ~sub
        rs_main = np.where(rng.random(sel.size) < 0.9, 1, rng.choice(np.r_[2:11, 20], sel.size))
        rs_dup = np.where(rs_main == 20, 120, rs_main + 100)
        rows = np.concatenate([np.arange(sel.size), np.flatnonzero(dup)])
        recstat = np.concatenate([np.where(dup, rs_main, -1), rs_dup[dup]])
        person, school, enrol, is_on = person[rows], school[rows], enrol[rows], is_on[rows]
        entry = e["entry"][sel][rows]
        leave = e["leave"][sel][rows]
        n = rows.size
        yr = pv.year
        nc = 11 - (p.cohort - yr)
        ncs = np.full(n, "R" if nc == 0 else str(nc), object)
        special = ctx.universe.school_kind[school] == 2
        ncs[special & (rng.random(n) < 0.3)] = "X"
        held = ctx.quirk(rng, n, 0.005) & (nc > 1)
        ncs[held] = str(nc - 1)
        when = np.full(n, d)
        pmr = ctx.pmr(person, when)
        pmr = blank_where(pmr, ctx.quirk(rng, n, 0.001))
        yob = p.yob[person].copy()
        yob[ctx.quirk(rng, n, 0.0001)] = yr + 1
        sex = np.where(p.female[person], "F", "M")
        if yr <= 2007:
            bg = ctx.quirk(rng, n, 0.3)
            sex = np.where(bg, np.where(p.female[person], "G", "B"), sex)
        fy = yr - p.fsm_first_year
        fsm_now = p.fsm_hist[person, fy] if 0 <= fy < p.fsm_hist.shape[1] else np.zeros(n, bool)
        lo, hi = max(fy - 5, 0), min(fy + 1, p.fsm_hist.shape[1])
        ever6 = p.fsm_hist[person, lo:hi].any(axis=1) if hi > lo else np.zeros(n, bool)
        sen = _sen_code(p.sen[person], yr, rng)
        sen[(p.sen[person] == 1) & (rng.random(n) < 0.15)] = "N"
        eth = np.array(ETHNICITIES, object)[p.eth[person]]
        old = np.array([OLD_ETHNIC.get(x, x) for x in ETHNICITIES], object)[p.eth[person]]
        lgm = np.where(p.eal[person], "OTH", "ENG").astype(object)
        odd = ctx.quirk(rng, n, 0.02)
        lgm[odd] = rng.choice(["ENB", "OTB", "NOT", "REF"], odd.sum())
        fl = np.array(FIRST_LANGUAGES, object)[p.first_lang[person]]
        lsoa = fmt_ids("E01", p.lsoa[person], 6)
        score = np.round(p.idaci[person], 3)
        rank = p.idaci_rank[person]
        stems = {stem for _p, stem, _d in pv.columns}
        if "llsoa" in stems and "lsoa11" not in stems:
            rank = 1 + (rank - 1) * 32482 // 32844  # 2001 LSOAs: 32,482 ranked
        leaving = np.where(is_on, -1, leave)
        leave_null = is_on & ~ctx.quirk(rng, n, 0.01)
        leaving = np.where(is_on & ~leave_null, OPEN_DAY, leaving)
        cols = {
            "pupilmatchingrefanonymous": pmr,
            "yearofbirth": ints(yob, pa.int16()),
            "monthofbirth": ints(p.mob[person], pa.int16()),
            "gender": pa.array(sex, pa.string()),
            "laestab_anon": blank_where(
                ctx.school_str.take(pa.array(school)), ctx.quirk(rng, n, 0.001)
            ),
            "enrolstatus": pa.array(enrol, pa.string()),
            "ncyearactual": pa.array(ncs, pa.string()),
            "entrydate": dates(entry, ctx.quirk(rng, n, 0.005)),
            "leavingdate": dates(np.maximum(leaving, 0), leave_null),
            "fsmeligible": pa.array(fsm_now),
            "recordstatus": ints(recstat, pa.int16(), recstat < 0),
            "onroll": pa.array(is_on),
            "ethnicgroup": pa.array(old, pa.string()),
            "ethnicgroupminor": pa.array(eth, pa.string()),
            "languagegroupminor": pa.array(lgm, pa.string()),
            "firstlanguage": pa.array(fl, pa.string()),
            "senprovision": pa.array(sen, pa.string()),
            "everfsm_6_p": pa.array(ever6),
            "llsoa": lsoa,
            "lsoa11": lsoa,
            "idacirank": ints(rank, pa.int32()),
            "idaciscore": pa.array(score),
            "idacirank_10": ints(rank, pa.int32()),
            "idaciscore_10": pa.array(score),
            "idacirank_15": ints(np.clip(rank + rng.integers(-300, 300, n), 1, 32844), pa.int32()),
            "idaciscore_15": pa.array(
                np.round(np.clip(score + rng.normal(0, 0.01, n), 0, 0.999), 3)
            ),
        }
        keep = first_unique(
            np.where(_blank_mask(pmr), -1, pmr_at(ctx.ident, person, when)),
            np.where(_blank_mask(cols["laestab_anon"]), -1, school),
            np.frombuffer(np.array(enrol, "U1").tobytes(), np.uint32),
            recstat,
            yob,
            p.mob[person],
        )
        if not keep.all():
            cols = {k: v.filter(pa.array(keep)) for k, v in cols.items()}
            person = person[keep]
        yield _emit(ctx, "school_census", pv, cols, person)


def _blank_mask(arr: pa.Array) -> np.ndarray:
    return np.asarray(pc.equal(arr, "").fill_null(False))


# ================================================================ KS4
def ks4_views(ctx: Ctx) -> Iterator:
    p = ctx.p
    for pv in ctx.catalog.views("ks4"):
        if pv.year != p.cohort or day(census_date("summer", pv.year)) > ctx.ref:
            continue
        rng = ctx.rng("ks4")
        n = p.n
        person = np.arange(n)
        dup = ctx.quirk(rng, n, 0.008)
        rows = np.concatenate([person, person[dup]])
        attained = np.concatenate([np.ones(n, bool), np.zeros(dup.sum(), bool)])
        m = rows.size
        when = np.full(m, day(census_date("summer", pv.year)))
        jan = day(census_date("spring", pv.year))
        school = _school_at(ctx.life.enrol, n, jan)
        school = np.where(school < 0, p.secondary, school)[rows]
        pmr = blank_where(ctx.pmr(rows, when), ctx.quirk(rng, m, 0.001))
        y = pv.year
        sen = p.sen[rows]

        def res(x, attained=attained):
            return ints(np.where(attained, x, 0), pa.int16())

        cols = {
            "ks4_pupilmatchingrefanonymous": pmr,
            "ks4_acadyr": _acadyr(y, m),
            "ks4_gender": pa.array(np.where(p.female[rows], "F", "M"), pa.string()),
            "ks4_yearofbirth": ints(p.yob[rows], pa.int16()),
            "ks4_monthofbirth": ints(p.mob[rows], pa.int16()),
            "ks4_laestab_anon": ctx.school_str.take(pa.array(school)),
            "ks4_natres": ints(attained.astype(np.int64), pa.int16()),
            "ks4_endks": ints(attained.astype(np.int64), pa.int16()),
            "ks4_idaci": pa.array(np.round(p.idaci[rows], 3)),
            "ks4_fsm": ints(p.fsm[rows].astype(np.int64), pa.int16()),
            "ks4_fsm6": ints(p.fsm_hist[rows, 6:12].any(axis=1).astype(np.int64), pa.int16()),
            "ks4_sena": ints((sen == 1).astype(np.int64), pa.int16()),
            "ks4_senps": ints((sen == 2).astype(np.int64), pa.int16()),
            "ks4_senf": pa.array(
                np.where(sen == 2, "E", np.where(sen == 1, "K", "N")), pa.string()
            ),
            "ks4_ethnic": pa.array(np.array(ETHNICITIES, object)[p.eth[rows]], pa.string()),
            "ks4_level2_em": res(p.level2_em[rows].astype(np.int64)),
            "ks4_level2_em_ptq": res(p.level2_em[rows].astype(np.int64)),
            "ks4_level2_em_ptq_ee": res(p.level2_em[rows].astype(np.int64)),
            "ks4_ptscnewe": pa.array(np.where(attained, p.ptscnewe[rows], 0.0)),
            "ks4_ptscnewe_ptq": pa.array(np.where(attained, ptq_points(p.ptscnewe[rows]), 0.0)),
            "ks4_ptscnewe_ptq_ee": pa.array(np.where(attained, ptq_points(p.ptscnewe[rows]), 0.0)),
            "ks4_att8": null_where(pa.array(p.att8[rows]), ~attained),
            "ks4_p8score": null_where(pa.array(p.p8[rows]), ~attained),
            "ks4_l2basics_94": res(p.l2basics_94[rows].astype(np.int64)),
            "ks4_ebacc_94": res(p.ebacc_94[rows].astype(np.int64)),
        }
        keep = first_unique(
            np.where(_blank_mask(pmr), -1, pmr_at(ctx.ident, rows, when)),
            school,
            attained.astype(np.int64),
        )
        if not keep.all():
            cols = {k: v.filter(pa.array(keep)) for k, v in cols.items()}
            rows = rows[keep]
        yield _emit(ctx, "ks4", pv, cols, rows)


def _school_at(enrol: dict, n: int, d: int) -> np.ndarray:
    m = (enrol["entry"] <= d) & (enrol["leave"] >= d) & ~enrol["subsidiary"]
    out = np.full(n, -1, np.int64)
    out[enrol["person"][m]] = enrol["school"][m]
    return out


# ================================================================ NCCIS
_NCCIS_GROUPS = [
    "custody",
    "he",
    "ssf",
    "sfc",
    "fe",
    "app",
    "trn",
    "emp_ft",
    "selfemp",
    "emp_pt",
    "neet_a",
    "neet_i",
]


def nccis_views(ctx: Ctx) -> Iterator:
    pvs = ctx.catalog.views("nccis")
    if not pvs:
        return
    pv = pvs[0]
    p, sp = ctx.p, ctx.life.spells
    C = p.cohort
    act, det = sp["activity"], sp["detail"]
    group_masks = {
        "custody": act == A["custody"],
        "he": act == A["he"],
        "ssf": act == A["sixth_form"],
        "sfc": (act == A["fe"]) & (det == D["sixth_form_college"]),
        "fe": (act == A["fe"]) & (det != D["sixth_form_college"]),
        "app": act == A["apprenticeship"],
        "trn": act == A["traineeship"],
        "emp_ft": (act == A["employment"]) & (det == D["full_time"]),
        "selfemp": act == A["self_employment"],
        "emp_pt": (act == A["employment"]) & (det == D["part_time"]),
        "neet_a": (act == A["neet"]) & (det == D["active"]),
        "neet_i": (act == A["neet"]) & (det == D["inactive"]),
    }
    lo, hi = ymd(C, 9, 1), ymd(C + 3, 8, 31)
    window = (sp["end"] >= lo) & (sp["start"] <= hi)
    groups = {
        g: (sp["person"][m & window], sp["start"][m & window], sp["end"][m & window])
        for g, m in group_masks.items()
    }
    for ay in range(C + 1, C + 4):
        if ay < 2011 or ay > 2021 or (ay == C + 3 and ay > 2017):
            continue
        rng = ctx.rng("nccis", ay)
        months = [(ay - 1, m) for m in range(9, 13)] + [(ay, m) for m in range(1, 9)]
        chunks = []
        for yy, mm in months:
            month_end = int(ymd(yy + (mm == 12), mm % 12 + 1, 1)) - 1
            if month_end > ctx.ref:
                continue
            d = int(ymd(yy, mm, 15))
            code = np.zeros(p.n, np.int64)
            start = np.full(p.n, -1, np.int64)
            for g in reversed(_NCCIS_GROUPS):  # highest priority last, so it wins
                gp, gs, ge = groups[g]
                m = (gs <= d) & (ge >= d)
                code[gp[m]] = _NCCIS_GROUPS.index(g) + 1
                start[gp[m]] = gs[m]
            chunks.append((mm, d, code, start))
        if not chunks:
            continue
        k = len(chunks)
        person = np.tile(np.arange(p.n), k)
        monthno = np.repeat([c[0] for c in chunks], p.n)
        snap = np.repeat([c[1] for c in chunks], p.n)
        grp = np.concatenate([c[2] for c in chunks])
        start = np.concatenate([c[3] for c in chunks])
        m = person.size
        u = rng.random(m)
        t_year = ay - C  # 1 = age 16
        code = np.zeros(m, np.int64)
        gname = np.array(["none"] + _NCCIS_GROUPS, object)[grp]
        code[gname == "custody"] = np.where(t_year <= 2, 290, 710)
        code[(gname == "custody") & (u < 0.1 * ctx.q)] = 130
        code[gname == "he"] = 240
        code[gname == "ssf"] = 210
        code[gname == "sfc"] = 220
        code[gname == "fe"] = np.where(u < 0.05, 270, np.where(u < 0.08, 250, 230))[gname == "fe"]
        code[gname == "app"] = 310
        code[gname == "trn"] = 450
        code[gname == "emp_ft"] = np.select(
            [u < 0.5, u < 0.7, u < 0.85, u < 0.95], [330, 320, 340, 350], 360
        )[gname == "emp_ft"]
        code[gname == "selfemp"] = np.where(u < 0.9, 380, 381)[gname == "selfemp"]
        code[gname == "emp_pt"] = 360
        code[gname == "neet_a"] = np.select(
            [u < 0.3, u < 0.45, u < 0.65, u < 0.95], [610, 615, 616, 619], 540
        )[gname == "neet_a"]
        female = p.female[person]
        ina = np.select(
            [u < 0.15, (u < 0.4) & female, u < 0.7, (u < 0.75) & female, u < 0.77, u < 0.85],
            [620, 630, 640, 650, 660, 670],
            680,
        )
        code[gname == "neet_i"] = ina[gname == "neet_i"]
        unknown = gname == "none"
        code[unknown] = np.select([u < 0.6, u < 0.9], [810, 820], 830)[unknown]
        # data quality: temporarily not known, legacy and out-of-mapping codes
        nk = ctx.quirk(rng, m, 0.003) & ~unknown
        code[nk] = 810
        start[nk | unknown] = -1
        if ay <= 2012:
            leg = ctx.quirk(rng, m, 0.3) & (gname == "neet_a")
            code[leg] = np.where(rng.random(leg.sum()) < 0.5, 510, 520)
            code[ctx.quirk(rng, m, 0.3) & (gname == "trn")] = 420
            code[ctx.quirk(rng, m, 0.02) & (gname == "emp_pt")] = 551
        odd = ctx.quirk(rng, m, 0.002)
        code[odd] = np.where(rng.random(odd.sum()) < 0.5, 150, 720)
        status = np.full(m, None, object)
        if ay >= 2017:
            left = unknown & (rng.random(m) < 0.3)
            status[left] = np.where(rng.random(left.sum()) < 0.5, "T", "L")
        # duplicate person-years flagged M (2016/17 onwards)
        dup_rows = np.zeros(0, np.int64)
        if ay >= 2017:
            dup_people = np.flatnonzero(ctx.quirk(rng, p.n, 0.003))
            dup_rows = np.flatnonzero(np.isin(person, dup_people))
        rows = np.concatenate([np.arange(m), dup_rows])
        status = np.concatenate([status, np.full(dup_rows.size, "M", object)])
        person, monthno, snap, code, start = (
            person[rows],
            monthno[rows],
            snap[rows],
            code[rows],
            start[rows],
        )
        mm_ = rows.size
        pmr = ctx.pmr(person, snap)
        start_null = (start < 0) | ctx.quirk(rng, mm_, 0.05)
        cols = {
            "nccis_pupilmatchingrefanonymous": pmr,
            "nccis_acadyr": _acadyr(ay, mm_),
            "nccis_monthno": ints(monthno, pa.int16()),
            "nccis_current_activity_code": ints(code, pa.int16()),
            "nccis_current_activity_start_date": dates(np.maximum(start, 0), start_null),
            "nccis_cohort_status": pa.array(status, pa.string()),
        }
        st_code = np.select([status == "M", status == "T", status == "L"], [1, 2, 3], 0)
        keep = first_unique(pmr_at(ctx.ident, person, snap), monthno, st_code)
        if not keep.all():
            cols = {k: v.filter(pa.array(keep)) for k, v in cols.items()}
            person = person[keep]
        yield _emit(ctx, "nccis", pv, cols, person)


# ================================================================ HESA
def hesa_views(ctx: Ctx) -> Iterator:
    life = ctx.life
    pr, sg = life.progs, life.segs
    he_prog = pr["kind"] == HE
    is_he = he_prog[sg["prog"]] if sg["prog"].size else np.zeros(0, bool)
    seg = {k: v[is_he] for k, v in sg.items()}
    prog = seg["prog"]
    rng0 = ctx.rng("hesa")
    n_prog = pr["prog"].size
    use_second = rng0.random(n_prog) < 0.5
    subject = rng0.integers(0, len(JACS), n_prog)
    mode = np.where(rng0.random(n_prog) < 0.9, 1, 3)
    mode = np.where(pr["he_level"] == 3, np.where(rng0.random(n_prog) < 0.06, 2, mode), mode)
    year_no = seg["ay"] - academic_year_end(pr["start"][prog]) + 1
    by_view = {pv.year: pv for pv in ctx.catalog.views("hesa")}
    for ay in np.unique(seg["ay"]):
        pv = by_view.get(int(ay))
        if pv is None:
            continue
        m = seg["ay"] == ay
        person = seg["person"][m]
        pg = prog[m]
        n = person.size
        rng = ctx.rng("hesa", int(ay))
        ended = seg["final"][m] | seg["dropped"][m]
        qualified = seg["final"][m]
        lvl = pr["he_level"][pg]
        pmr_codes_ = np.where(
            use_second[pg] & (ctx.ident.pmr2[person] >= 0),
            ctx.ident.pmr2[person],
            ctx.ident.pmr1[person],
        )
        pmr = pc.if_else(
            pa.array(pmr_codes_ == ctx.ident.pmr2[person]),
            ctx.pmr_str[1].take(pa.array(person)),
            ctx.pmr_str[0].take(pa.array(person)),
        )
        pmr = blank_where(pmr, ctx.quirk(rng, n, 0.01))
        obtn = np.select(
            [lvl == 2, lvl == 4],
            ["M00", np.where(rng.random(n) < 0.7, "J10", "C20")],
            np.where(rng.random(n) < 0.8, "H00", "H11"),
        )
        obtn_null = ~qualified
        inst = fmt_ids("H", ctx.universe.he_code[pr["provider"][pg]], 7)
        end = seg["end"][m]
        cols = {
            "he_pupilmatchingrefanonymous": pmr,
            "he_instid_anon": inst,
            "he_xinstid01_anon": inst,
            "he_comdate": dates(pr["start"][pg]),
            "he_dateleft": dates(end, ~ended),
            "he_enddate": dates(end, ~ended),
            "he_yearprg": pa.array(year_no[m].astype(str).astype(object), pa.string()),
            "he_yearstu": ints(year_no[m], pa.int16()),
            "he_xmode01": ints(mode[pg], pa.int16()),
            # HESA XLEV601: 2 taught postgraduate, 4 first degree, 5 other undergraduate
            "he_xlev601": pa.array(
                np.select([lvl == 2, lvl == 3, lvl == 4], [2, 4, 5], lvl)
                .astype(str)
                .astype(object),
                pa.string(),
            ),
            "he_xqobtn01": null_where(pa.array(obtn.astype(object), pa.string()), obtn_null),
            "he_xpqual01": ints(qualified.astype(np.int64), pa.int16()),
            "he_xjacs01_1": pa.array(np.array(JACS, object)[subject[pg]], pa.string()),
            "he_xhecos_1": pa.array(np.array(HECOS, object)[subject[pg]], pa.string()),
        }
        keep = first_unique(np.where(_blank_mask(pmr), -1, pmr_codes_), pr["start"][pg])
        if not keep.all():
            cols = {k: v.filter(pa.array(keep)) for k, v in cols.items()}
            person = person[keep]
        yield _emit(ctx, "hesa", pv, cols, person)


# ===================================================== ILR learners, aims, education records lookup
def _programme_aims(ctx: Ctx, rng) -> dict:
    """Aims of every ILR programme: (programme row, aim, start, planned end)."""
    pr = ctx.life.progs
    kind = pr["kind"]
    lvl = pr["level"]
    n = kind.size
    parts = []

    def add(mask, aim_choices, end_first_year=False, prob=1.0):
        idx = np.flatnonzero(mask & (rng.random(n) < prob))
        aim = np.asarray(aim_choices)[rng.integers(0, len(aim_choices), idx.size)]
        pend = pr["planned"][idx]
        if end_first_year:
            pend = np.minimum(pend, ymd(academic_year_end(pr["start"][idx]), 6, 20))
        parts.append({"prog": idx, "aim": aim, "start": pr["start"][idx], "planned": pend})

    sfc = kind == SFC
    for k in range(3):  # three A levels
        idx = np.flatnonzero(sfc)
        aims = np.asarray(A_LEVELS)[(rng.integers(0, 2, idx.size) + 2 * k) % len(A_LEVELS)]
        parts.append(
            {"prog": idx, "aim": aims, "start": pr["start"][idx], "planned": pr["planned"][idx]}
        )
    add(sfc, [AIM["60000021"]], True, 0.2)
    fe = kind == FE
    add(fe & (lvl == 3), BTEC3)
    add(fe & (lvl == 3), [AIM["60000021"], AIM["60000022"]], True, 0.3)
    add(fe & (lvl == 2), L2DIP + [AIM["60000091"]])
    add(
        fe & (lvl <= 2),
        [AIM["60000021"], AIM["60000022"], AIM["60000071"], AIM["60000072"]],
        True,
        0.75,
    )
    add(fe & (lvl == 1), [AIM["60000051"]])
    app = kind == APP
    add(app, [AIM["ZPROG001"]])
    fw = app & (pr["app_type"] != 25)
    add(fw & (lvl == 2), [AIM["60000061"], AIM["60000063"]])
    add(fw & (lvl == 3), [AIM["60000062"], AIM["60000064"]])
    add(fw, [AIM["60000071"]], False, 0.6)
    add(fw, [AIM["60000072"]], False, 0.6)
    add(app & ~fw, [AIM["60000072"]], False, 0.3)
    # a standard's occupational component at the standard's level (the extract has no standards
    # table)
    add(app & ~fw & (lvl == 2), [AIM["60000091"]])
    add(app & ~fw & (lvl == 3), [AIM["60000064"]])
    trn = kind == TRN
    add(trn, [AIM["ZPROG001"]])
    add(trn, [AIM["Z0007834"]])
    add(trn, [AIM["60000071"], AIM["60000072"]], False, 0.7)
    out = {k: np.concatenate([q[k] for q in parts]) for k in parts[0]}
    order = np.lexsort((out["aim"], out["prog"]))
    return {k: v[order] for k, v in out.items()}


def ilr_views(ctx: Ctx) -> Iterator:
    """learners, aims and education_records_lookup of this cohort."""
    p, life, ident = ctx.p, ctx.life, ctx.ident
    pr, sg = life.progs, life.segs
    rng = ctx.rng("ilr")
    ilr_kind = np.isin(pr["kind"], [SFC, FE, APP, TRN])
    is_ilr = ilr_kind[sg["prog"]] if sg["prog"].size else np.zeros(0, bool)
    seg = {k: v[is_ilr] for k, v in sg.items()}
    # adult part-time courses are one-year programmes of their own
    af = life.adult_fe
    n_prog = pr["prog"].size
    af_prog = n_prog + np.arange(af["person"].size)
    prog_person = np.concatenate([pr["person"], af["person"]])
    prog_provider = np.concatenate([pr["provider"], af["provider"]])
    prog_kind = np.concatenate([pr["kind"], np.full(af["person"].size, -FE)])  # -FE marks adult FE
    prog_type = np.concatenate([pr["app_type"], np.full(af["person"].size, -1)])
    seg_prog = np.concatenate([seg["prog"], af_prog])
    seg_person = np.concatenate([seg["person"], af["person"]])
    seg_ay = np.concatenate([seg["ay"], af["ay"]])
    seg_start = np.concatenate([seg["start"], af["start"]])
    seg_end = np.concatenate([seg["end"], af["end"]])
    seg_drop = np.concatenate([seg["dropped"], np.zeros(af["person"].size, bool)])
    seg_final = np.concatenate([seg["final"], np.ones(af["person"].size, bool)])
    keep = seg_start <= ctx.ref
    order = np.lexsort((seg_prog, seg_ay, seg_person))
    order = order[keep[order]]
    seg_prog, seg_person, seg_ay, seg_start, seg_end, seg_drop, seg_final = (
        a[order] for a in (seg_prog, seg_person, seg_ay, seg_start, seg_end, seg_drop, seg_final)
    )
    nl = seg_prog.size
    if nl + 1 > RECORD_BLOCK:
        raise IdentifierSpaceError(f"more than {RECORD_BLOCK:,} ILR learner records in one cohort")
    base = ctx.ci * RECORD_BLOCK
    recordid = recordid_codes(ctx.seed, base + np.arange(nl))
    external = external_codes(ctx.seed, ctx.ci * (1 << 28) + np.arange(nl))
    # learner reference: one per person x provider
    pair = prog_person[seg_prog] * 100_000 + prog_provider[seg_prog]
    _, pair_idx = np.unique(pair, return_inverse=True)
    learner = learner_codes(ctx.seed, ctx.ci * (1 << 28) + pair_idx)
    uk = ctx.universe.prov_ukprn[prog_provider[seg_prog]]
    up = ctx.universe.prov_upin[prog_provider[seg_prog]]
    up = np.where(ctx.quirk(rng, nl, 0.005), 0, up)
    uk = np.where(ctx.quirk(rng, nl, 0.005), 0, uk)
    acage = seg_ay - p.cohort + 15
    orphan = ctx.quirk(rng, nl, 0.003)  # aims whose learner row is missing
    pvs = {
        pv.source: pv
        for src in ("ilr_learners", "ilr_aims", "education_records_lookup")
        for pv in ctx.catalog.views(src)
    }
    ctx.ilr_ids = {"external_id": external, "recordid": recordid, "person": seg_person}
    dataset = np.where(seg_ay <= 2012, "ILR", "ILRF")
    year_str = pa.array((seg_ay - 1).astype(str).astype(object), pa.string())
    if "ilr_learners" in pvs:
        lk = ~orphan
        cols = {
            "external_id": ints(external),
            "recordid": ints(recordid, pa.int32()),
            "year": year_str,
            "academicyear": _acadyr(seg_ay),
            "dataset_identifier": pa.array(dataset.astype(object), pa.string()),
            "learner_id": fmt_ids("L", learner, 11),
            "upin_anon": ints(up, pa.int32()),
            "ukprn_anon": ints(uk),
            "sex": pa.array(np.where(p.female[seg_person], "F", "M"), pa.string()),
            "acage": ints(acage, pa.int16()),
        }
        cols = {k: v.filter(pa.array(lk)) for k, v in cols.items()}
        yield _emit(ctx, "ilr_learners", pvs["ilr_learners"], cols, seg_person[lk])
    # ---- aims
    if "ilr_aims" in pvs:
        # programme aims for the main programmes; adult FE: one short aim
        arng = ctx.rng("ilr_aims")
        pa_ = _programme_aims(ctx, arng)
        na = af["person"].size
        af_aim = np.asarray(
            [AIM["60000091"], AIM["60000071"], AIM["60000072"], AIM["60000081"], AIM["60000061"]]
        )[arng.integers(0, 5, na)]
        aims = {
            "prog": np.concatenate([pa_["prog"], af_prog]),
            "aim": np.concatenate([pa_["aim"], af_aim]),
            "start": np.concatenate([pa_["start"], af["start"]]),
            "planned": np.concatenate([pa_["planned"], af["end"]]),
        }
        # framework / standard ids per programme
        fw_id = np.where(
            prog_type == 2,
            400 + arng.integers(0, 250, prog_type.size),
            np.where(prog_type == 3, 400 + arng.integers(0, 250, prog_type.size), -1),
        )
        st_id = np.where(prog_type == 25, 1 + arng.integers(0, 400, prog_type.size), -1)
        achieve_p = sigmoid(1.3 + 0.8 * p.z4[prog_person])
        # join aims to learner-years: an aim appears in every year it is active
        a_order = np.argsort(aims["prog"], kind="stable")
        aims = {k: v[a_order] for k, v in aims.items()}
        first = np.searchsorted(aims["prog"], seg_prog, "left")
        last = np.searchsorted(aims["prog"], seg_prog, "right")
        owner, pos = expand_ranges(last - first)
        ai = first[owner] + pos
        ys = ymd(seg_ay[owner] - 1, 9, 1)
        ye = ymd(seg_ay[owner], 8, 31)
        a_start = aims["start"][ai]
        a_plan = aims["planned"][ai]
        active = (a_start <= ye) & (a_plan >= ys) & (a_start <= seg_end[owner])
        owner, ai, ys, ye, a_start, a_plan = (
            owner[active],
            ai[active],
            ys[active],
            ye[active],
            a_start[active],
            a_plan[active],
        )
        m = owner.size
        prog_end = seg_end[owner]
        withdrawn = seg_drop[owner] & (a_plan > prog_end)
        ends_now = withdrawn | (a_plan <= ye) | (seg_final[owner] & (a_plan >= prog_end))
        ends_now &= np.minimum(a_plan, prog_end) <= ctx.ref
        end = np.where(withdrawn, prog_end, np.minimum(a_plan, np.maximum(prog_end, a_start)))
        achieved = ends_now & ~withdrawn & (arng.random(m) < achieve_p[seg_prog[owner]])
        compstatus = np.where(
            ~ends_now, 1, np.where(withdrawn, np.where(ctx.quirk(arng, m, 0.005), 6, 3), 2)
        )
        outcome = np.where(
            ~ends_now,
            -9,
            np.where(withdrawn, 3, np.where(achieved, 1, np.where(arng.random(m) < 0.4, 2, 3))),
        )
        outcome_null = outcome == -9
        outcome = np.where(outcome_null & ctx.quirk(arng, m, 0.01), -1, outcome)
        outcome_null &= outcome != -1
        end_null = ~ends_now
        end_zero = end_null & ctx.quirk(arng, m, 0.02)
        ach_day = np.minimum(end + arng.integers(0, 60, m), ctx.ref)
        ach_zero = ends_now & ~achieved & ctx.quirk(arng, m, 0.3)
        ach_null = ~achieved & ~ach_zero
        aim_id = aims["aim"][ai]
        lg = seg_prog[owner]
        ptype = np.where(aim_id == AIM["ZPROG001"], prog_type[lg], -1)
        ptype = np.where((prog_kind[lg] == APP) | (prog_kind[lg] == TRN), prog_type[lg], ptype)
        age19 = acage[owner] >= 19
        fund = np.select(
            [prog_kind[lg] == APP, prog_kind[lg] == -FE, age19],
            [np.where(seg_ay[owner] >= 2018, 36, 35), 35, 35],
            25,
        )
        fund = np.where(
            ctx.quirk(arng, m, 0.003), -1, np.where(ctx.quirk(arng, m, 0.003), 99, fund)
        )
        trn_flag = np.where(seg_ay[owner] >= 2014, (prog_kind[lg] == TRN).astype(np.int64), -1)
        lvl = np.array([a[3] for a in AIMS])[aim_id]
        lvl2 = np.array([a[4] for a in AIMS])[aim_id]
        lvl2 = np.where(ctx.quirk(arng, m, 0.01), 9, lvl2)
        ssa = np.array([a[5] for a in AIMS], object)[aim_id]
        ex = external[owner]
        cols = {
            "external_id": ints(ex),
            "academicyear": _acadyr(seg_ay[owner]),
            "dataset_identifier": pa.array(dataset[owner].astype(object), pa.string()),
            "recordid": ints(recordid[owner], pa.int32()),
            "upin_anon": ints(up[owner]),
            "ukprn_anon": ints(uk[owner]),
            "framework_id": ints(np.where(ptype >= 0, fw_id[lg], -1), pa.int32()),
            "standard_id": ints(np.where(ptype >= 0, st_id[lg], -1), pa.int32()),
            "programme_type": ints(ptype, pa.int32()),
            "learning_aim_id": codes(aim_id, [a[0] for a in AIMS]),
            "fundmodel": ints(fund, pa.int32()),
            "outcome": ints(outcome, pa.int32(), outcome_null),
            "compstatus": ints(compstatus, pa.int32()),
            "start_date": dates(a_start),
            "end_date": dates(np.where(end_zero, ZERO_DAY, end), end_null & ~end_zero),
            "end_date_expected": dates(a_plan),
            "achievement_date": dates(np.where(ach_zero, ZERO_DAY, ach_day), ach_null),
            "traineeship": ints(trn_flag, pa.int32()),
            "notional_level": pa.array(lvl.astype(float)),
            "notional_level_v2": ints(lvl2, pa.int32()),
            "ssatier2": pa.array(ssa, pa.string()),
            # percent of a full level 2 / 3 (an A level is half a full level 3, an AS a quarter, a
            # GCSE a fifth of a full level 2, a full-size diploma or NVQ all of one); 2% of records
            # leave it 0
            "fl2width": pa.array(
                np.where(
                    ctx.quirk(arng, m, 0.02),
                    0.0,
                    np.array(
                        [
                            {"0003": 20.0, "1446": 100.0, "1444": 50.0}.get(
                                a[1], 100.0 if a[1] == "0036" and a[3] == 2 else 0.0
                            )
                            for a in AIMS
                        ]
                    )[aim_id],
                )
            ),
            "fl3width": pa.array(
                np.where(
                    ctx.quirk(arng, m, 0.02),
                    0.0,
                    np.array(
                        [
                            {
                                "0002": 50.0,
                                "0001": 25.0,
                                "1435": 100.0,
                                "1447": 100.0,
                                "0087": 25.0,
                            }.get(a[1], 100.0 if a[1] == "0036" and a[3] == 3 else 0.0)
                            for a in AIMS
                        ]
                    )[aim_id],
                )
            ),
            # Skills for Life: 1 literacy (English functional skills), 2 numeracy (maths),
            # -1 otherwise
            "sfl_type": ints(
                np.array([{"60000071": 1, "60000072": 2}.get(a[0], -1) for a in AIMS])[aim_id],
                pa.int32(),
            ),
        }
        keep = first_unique(ex, aim_id, a_start)
        if not keep.all():
            cols = {k: v.filter(pa.array(keep)) for k, v in cols.items()}
            owner = owner[keep]
        yield _emit(ctx, "ilr_aims", pvs["ilr_aims"], cols, seg_person[owner])
    # ---- education records lookup: ILR records of linked people (less injected faults) + NPD/HESA
    # records
    if "education_records_lookup" in pvs:
        frng = stream(ctx.seed, "faults", ctx.cohort, "recordid")
        ae = ident.ae_link[seg_person]
        linked = np.flatnonzero(ae >= 0)
        k = (
            int(frng.binomial(linked.size, ident.recordid_fault_rate))
            if ident.recordid_fault_rate > 0
            else 0
        )
        drop = np.sort(frng.choice(linked, k, replace=False)) if k else np.zeros(0, np.int64)
        ident.fault_counts["unlinked_recordid"] = (int(linked.size), int(k))
        ctx.recordid_faults = {
            "ae_id": ae[drop],
            "recordid": recordid[drop],
            "person": seg_person[drop],
        }
        ilr_rows = np.setdiff1d(linked, drop)
        lp = np.flatnonzero(ident.ae_id >= 0)
        he_people = np.unique(life.progs["person"][life.progs["kind"] == HE])
        hp = he_people[ident.ae_link[he_people] >= 0]
        other_seq = (1 << 29) + ctx.ci * RECORD_BLOCK + np.arange(lp.size + hp.size)
        other_rid = recordid_codes(ctx.seed, other_seq)
        ctx.other_records = {"recordid": other_rid, "person": np.concatenate([lp, hp])}
        person = np.concatenate([seg_person[ilr_rows], lp, hp])
        cols = {
            "ae_id": ints(ident.ae_link[person]),
            "recordid": ints(np.concatenate([recordid[ilr_rows], other_rid]), pa.int32()),
            "source": pa.array(
                np.concatenate(
                    [
                        np.full(ilr_rows.size, "ILR", object),
                        np.full(lp.size, "NPD", object),
                        np.full(hp.size, "HESA", object),
                    ]
                ),
                pa.string(),
            ),
        }
        yield _emit(ctx, "education_records_lookup", pvs["education_records_lookup"], cols, person)


# ================================================================ LEO lookups and outcomes
def lookup_views(ctx: Ctx) -> Iterator:
    ident = ctx.ident
    for pv in ctx.catalog.views("pmr_lookup"):
        lk = ident.pmr_lookup
        cols = {"ae_id": ints(lk["ae_id"]), "pupilmatchingrefanonymous": pmr_strings(lk["pmr"])}
        yield _emit(ctx, "pmr_lookup", pv, cols, lk["person"])
    for pv in ctx.catalog.views("edukey_lookup"):
        lk = ident.edukey_lookup
        cols = {"ae_id": ints(lk["ae_id"]), "edukey": edukey_strings(lk["edukey"])}
        yield _emit(ctx, "edukey_lookup", pv, cols, lk["person"])


def employment_views(ctx: Ctx) -> Iterator:
    jobs = ctx.life.jobs
    rng = ctx.rng("employment")
    ek = edukey_at(ctx.ident, jobs["person"], jobs["start"])
    m = ek >= 0
    person, start, end, opn, ek = (
        jobs["person"][m],
        jobs["start"][m],
        jobs["end"][m],
        jobs["open"][m],
        ek[m],
    )
    n = person.size
    rti = start >= ymd(2013, 4, 6)
    unc_s = rng.random(n) < np.minimum(1.0, np.where(rti, 0.03, 0.10) * ctx.q)
    s_rec = np.where(unc_s, ymd(tax_year_start(start), 4, 6), start)
    e_def = ymd(tax_year_start(end) + 1, 4, 5)
    unc_e = (~opn) & ctx.quirk(rng, n, 0.03) & (e_def <= ctx.ref)
    e_rec = np.where(opn, OPEN_DAY, np.where(unc_e, e_def, end))
    unc_e &= ~opn
    blank = ctx.quirk(rng, n, 0.001)
    keep = first_unique(np.where(blank, -1, ek), s_rec, e_rec)
    for pv in ctx.catalog.views("employment"):
        cols = {
            "edukey": blank_where(edukey_strings(ek), blank),
            "startdate": dates(s_rec),
            "enddate": dates(e_rec),
            "uncertainstartdate": pa.array(unc_s),
            "uncertainenddate": pa.array(unc_e),
        }
        cols = {k: v.filter(pa.array(keep)) for k, v in cols.items()}
        yield _emit(ctx, "employment", pv, cols, person[keep])
    # earnings: summed per EduKey x tax year over the jobs recorded under it
    jy = ctx.life.job_years
    jek = edukey_at(ctx.ident, jobs["person"], jobs["start"])[jy["job"]]
    m = jek >= 0
    yield from _summed(ctx, "earnings", jek[m], jy["taxyear"][m], jy["person"][m], jy["amount"][m])


def _summed(ctx: Ctx, source: str, ek, ty, person, amount) -> Iterator:
    """One row per EduKey x tax year, summing every person's contributions (truth: one row each)."""
    rng = ctx.rng(source)
    if ek.size == 0:
        return
    key_order = np.lexsort((person, ty, ek))
    ek, ty, person, amount = ek[key_order], ty[key_order], person[key_order], amount[key_order]
    new = np.ones(ek.size, bool)
    new[1:] = (ek[1:] != ek[:-1]) | (ty[1:] != ty[:-1])
    starts = np.flatnonzero(new)
    total = np.add.reduceat(amount, starts)
    r_ek, r_ty = ek[starts], ty[starts]
    taxyear = r_ty * 100 + (r_ty + 1) % 100
    # truth: one row per (row key, person) with that person's amount
    tnew = np.ones(ek.size, bool)
    tnew[1:] = new[1:] | (person[1:] != person[:-1])
    ts = np.flatnonzero(tnew)
    t_amount = np.add.reduceat(amount, ts)
    t_ek, t_ty, t_person = ek[ts], ty[ts], person[ts]
    for pv in ctx.catalog.views(source):
        if source == "earnings":
            zero = ctx.quirk(rng, total.size, 0.005)
            n_emp = np.diff(np.r_[starts, ek.size])
            cols = {
                "edukey": edukey_strings(r_ek),
                "taxyear": ints(taxyear, pa.int32()),
                "earnings": ints(np.where(zero, 0, total), pa.int64()),
                "num_employments": ints(n_emp, pa.int32()),
            }
        else:
            null = total == 0
            cols = {
                "edukey": edukey_strings(r_ek),
                "taxyear": ints(taxyear, pa.int32()),
                "self_employed": ints(np.ones(total.size, np.int64), pa.int32()),
                "earnings_self_employment": ints(total, pa.int64(), null),
            }
        table = _table(pv, cols)
        tcols = {
            "edukey": edukey_strings(t_ek),
            "taxyear": ints(t_ty * 100 + (t_ty + 1) % 100, pa.int32()),
        }
        truth = _truth(source, pv, tcols, ctx.p.pid[t_person], t_amount)
        yield source, pv, table, truth


def self_assessment_views(ctx: Ctx) -> Iterator:
    se = ctx.life.selfemp
    ek = edukey_at(ctx.ident, se["person"], ymd(se["taxyear"], 4, 6))
    m = ek >= 0
    yield from _summed(
        ctx, "self_assessment", ek[m], se["taxyear"][m], se["person"][m], se["earnings"][m]
    )


def benefit_views(ctx: Ctx) -> Iterator:
    b = ctx.life.benefits
    ek = edukey_at(ctx.ident, b["person"], b["start"])
    m = ek >= 0
    person, code, start, end, ek = b["person"][m], b["code"][m], b["start"][m], b["end"][m], ek[m]
    blank = ctx.quirk(ctx.rng("benefits"), ek.size, 0.001)
    keep = first_unique(np.where(blank, -1, ek), code, start)
    person, code, start, end, ek, blank = (
        person[keep],
        code[keep],
        start[keep],
        end[keep],
        ek[keep],
        blank[keep],
    )
    for pv in ctx.catalog.views("benefits"):
        cols = {
            "edukey": blank_where(edukey_strings(ek), blank),
            "startdate": dates(start),
            "enddate": dates(np.where(end > ctx.ref, OPEN_DAY, end)),
            "benefit_type": codes(code, BENEFIT_CODES),
            "out_of_work_benefit": ints(BENEFIT_OOW[code].astype(np.int64), pa.int32()),
        }
        yield _emit(ctx, "benefits", pv, cols, person)


def cohort_views(ctx: Ctx) -> Iterator:
    """Every person-level view chunk of one cohort."""
    yield from census_views(ctx)
    yield from ks4_views(ctx)
    yield from nccis_views(ctx)
    yield from hesa_views(ctx)
    yield from ilr_views(ctx)
    yield from lookup_views(ctx)
    yield from employment_views(ctx)
    yield from self_assessment_views(ctx)
    yield from benefit_views(ctx)


def lars_table(catalog: SourceCatalog, ref: int) -> Iterator:
    """Learning Aim Reference Service rows for every aim used, per academic year."""
    last = int(academic_year_end(np.array([ref]))[0])
    for pv in catalog.views("ilr_lars"):
        years = np.arange(2003, last + 1)
        ai, yi = np.meshgrid(np.arange(len(AIMS)), years, indexing="ij")
        ai, yi = ai.ravel(), yi.ravel()
        cols = {
            "learnaimref": codes(ai, [a[0] for a in AIMS]),
            "academicyear": _acadyr(yi),
            "qualtype": codes(ai, [a[1] for a in AIMS]),
            "aimtitle": codes(ai, [a[2] for a in AIMS]),
        }
        yield "ilr_lars", pv, _table(pv, cols), None


# shared with views_more (issue #16 sources)
acadyr = _acadyr
emit = _emit
school_at = _school_at
