"""The fixed universe (LAs, schools, providers) and the pupils of one KS4 cohort."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .util import calibrated_prob, feistel, key_from, stream, ymd

# ---------------------------------------------------------------- code lists
REGIONS = [
    "E12000001",
    "E12000002",
    "E12000003",
    "E12000004",
    "E12000005",
    "E12000006",
    "E12000007",
    "E12000008",
    "E12000009",
]
# population shares of England's regions (ONS mid-2019 estimates: NE 4.7%, NW 13.1%, Y&H 9.8%,
# EM 8.6%, WM 10.5%, East 11.1%, London 16.0%, SE 16.3%, SW 10.0%)
REGION_WEIGHTS = np.array([0.047, 0.131, 0.098, 0.086, 0.105, 0.111, 0.160, 0.163, 0.100])
REGION_WEIGHTS = REGION_WEIGHTS / REGION_WEIGHTS.sum()
LONDON = 6

# EthnicGroupMinor codes and national shares of the non-WBRI part
ETHNICITIES = [
    "WBRI",
    "WIRI",
    "WIRT",
    "WROM",
    "WOTH",
    "MWBC",
    "MWBA",
    "MWAS",
    "MOTH",
    "AIND",
    "APKN",
    "ABAN",
    "AOTH",
    "BCRB",
    "BAFR",
    "BOTH",
    "CHNE",
    "OOTH",
    "NOBT",
    "REFU",
]
_NON_WBRI = np.array(
    [
        0.003,
        0.0005,
        0.002,
        0.045,
        0.015,
        0.008,
        0.012,
        0.016,
        0.028,
        0.035,
        0.014,
        0.016,
        0.008,
        0.030,
        0.004,
        0.004,
        0.016,
        0.002,
        0.003,
    ]
)
WBRI = 0
# older EthnicGroup code set (census 2006-2009 summer/autumn): a coarser list
OLD_ETHNIC = {"WIRT": "WOTH", "WROM": "WOTH", "MWAS": "MOTH", "MWBA": "MOTH", "CHNE": "CHNE"}
ETH_EAL_LOGIT = np.array(
    [
        -5.3,
        -3.5,
        -1.0,
        1.0,
        0.7,
        -2.5,
        -1.5,
        -1.0,
        -1.0,
        1.2,
        1.3,
        1.5,
        1.0,
        -3.5,
        0.6,
        -0.5,
        1.0,
        1.0,
        -1.5,
        -1.5,
    ]
)
ETH_DEPRIVATION = np.array(
    [
        0.0,
        -0.1,
        0.8,
        0.8,
        0.1,
        0.5,
        0.3,
        0.0,
        0.3,
        -0.2,
        0.6,
        0.8,
        0.2,
        0.6,
        0.6,
        0.5,
        -0.4,
        0.4,
        0.2,
        0.2,
    ]
)
FIRST_LANGUAGES = [
    "ENG",
    "URD",
    "PNJ",
    "BNG",
    "POL",
    "GUJ",
    "ARA",
    "SOM",
    "TAM",
    "POR",
    "FRN",
    "TUR",
    "CHI",
    "LIT",
    "ROM",
    "OTL",
]
IDACI_LSOAS = 32844  # LSOAs ranked by IDACI 2015 (rank 1 = most deprived)
KS4_EXPECTED = {"level2_em": 0.59, "level2_em_ptq": 0.566, "level2_em_ptq_ee": 0.571}


def level2_share(cohort: int) -> float:
    if cohort <= 2013:
        return 0.59
    if cohort == 2014:
        return 0.566
    if cohort == 2015:
        return 0.571
    return 0.60


def ptq_points(ptscnewe: np.ndarray) -> np.ndarray:
    """The capped point score under the reformed performance-table rules of 2013/14 on
    (KS4_PTSCNEWE_PTQ, _PTQ_EE): fewer qualifications count, 92% of the old-style score."""
    return np.round(np.asarray(ptscnewe) * 0.92, 1)


def capped_points_delivered(ptscnewe: np.ndarray, ks4_year: int) -> np.ndarray:
    """The capped point score an end-of-KS4 record of the year holds: KS4_PTSCNEWE to 2013, the
    reformed score (KS4_PTSCNEWE_PTQ in 2014, KS4_PTSCNEWE_PTQ_EE from 2015) after."""
    return np.asarray(ptscnewe) if ks4_year <= 2013 else ptq_points(ptscnewe)


@dataclass
class Universe:
    """Local authorities, schools and providers shared by every cohort of one seed."""

    la_code: np.ndarray  # 3-digit LA codes
    la_region: np.ndarray
    la_weight: np.ndarray
    la_lsoa_start: np.ndarray
    la_lsoa_count: np.ndarray
    # schools: kind 0 primary, 1 secondary, 2 special, 3 PRU/AP
    school_la: np.ndarray
    school_kind: np.ndarray
    school_sixth: np.ndarray
    school_code: np.ndarray  # scrambled numbers for laestab_anon
    la_school_ptr: dict  # (la, kind) -> array of school indices
    # ILR providers: kind 0 FE college, 1 sixth-form college, 2 training provider
    prov_region: np.ndarray
    prov_kind: np.ndarray
    prov_ukprn: np.ndarray
    prov_upin: np.ndarray
    region_prov: dict  # (region, kind) -> provider indices
    # HE providers
    he_code: np.ndarray
    link_rate: np.ndarray  # per ethnicity

    def schools_in(self, la: int, kind: int) -> np.ndarray:
        return self.la_school_ptr[(la, kind)]


def build_universe(seed: int) -> Universe:
    rng = stream(seed, "universe")
    n_la = 152
    pool = np.concatenate(
        [np.arange(201, 214), np.arange(301, 321), np.arange(330, 395), np.arange(800, 939)]
    )
    la_code = np.sort(rng.choice(pool, n_la, replace=False))
    # regions: London = codes 201-320 (33 LAs); the rest spread over the other regions by weight
    la_region = np.empty(n_la, np.int64)
    london = la_code <= 320
    others = [r for r in range(9) if r != LONDON]
    w = REGION_WEIGHTS[others] / REGION_WEIGHTS[others].sum()
    la_region[london] = LONDON
    la_region[~london] = np.sort(rng.choice(others, (~london).sum(), p=w))
    la_weight = np.empty(n_la)
    for r in range(9):
        m = la_region == r
        raw = rng.gamma(3.0, 1.0, m.sum())
        la_weight[m] = REGION_WEIGHTS[r] * raw / raw.sum()
    la_weight /= la_weight.sum()
    lsoa_count = np.maximum(20, np.round(la_weight * 32844)).astype(np.int64)
    lsoa_start = np.cumsum(lsoa_count) - lsoa_count + 1

    kinds_total = {0: 16500, 1: 3300, 2: 1000, 3: 350}
    school_la, school_kind = [], []
    for kind, total in kinds_total.items():
        per = np.maximum(1, np.round(la_weight * total)).astype(np.int64)
        school_la.append(np.repeat(np.arange(n_la), per))
        school_kind.append(np.full(per.sum(), kind))
    school_la = np.concatenate(school_la)
    school_kind = np.concatenate(school_kind)
    school_sixth = (school_kind == 1) & (rng.random(school_la.size) < 0.62) | (school_kind == 2) & (
        rng.random(school_la.size) < 0.5
    )
    school_code = feistel(np.arange(school_la.size), 30, key_from(seed, "school"))
    ptr = {}
    order = np.lexsort((np.arange(school_la.size), school_kind, school_la))
    sl, sk = school_la[order], school_kind[order]
    for la in range(n_la):
        for kind in range(4):
            ptr[(la, kind)] = order[(sl == la) & (sk == kind)]
    # ILR providers
    prov_region, prov_kind = [], []
    for kind, total in {0: 230, 1: 90, 2: 900}.items():
        per = np.maximum(2, np.round(REGION_WEIGHTS * total)).astype(np.int64)
        prov_region.append(np.repeat(np.arange(9), per))
        prov_kind.append(np.full(per.sum(), kind))
    prov_region = np.concatenate(prov_region)
    prov_kind = np.concatenate(prov_kind)
    n_prov = prov_region.size
    prov_ukprn = 10_000_000 + feistel(np.arange(n_prov), 26, key_from(seed, "ukprn"))
    prov_upin = 100_000 + feistel(np.arange(n_prov), 18, key_from(seed, "upin"))
    region_prov = {
        (r, k): np.flatnonzero((prov_region == r) & (prov_kind == k))
        for r in range(9)
        for k in range(3)
    }
    he_code = feistel(np.arange(160), 20, key_from(seed, "he"))
    # differential linkage (ECHILD approach): WBRI 0.99, each other ethnicity U(0.90, 0.975)
    link_rate = rng.uniform(0.90, 0.975, len(ETHNICITIES))
    link_rate[WBRI] = 0.99
    return Universe(
        la_code,
        la_region,
        la_weight,
        lsoa_start,
        lsoa_count,
        school_la,
        school_kind,
        school_sixth,
        school_code,
        ptr,
        prov_region,
        prov_kind,
        prov_ukprn,
        prov_upin,
        region_prov,
        he_code,
        link_rate,
    )


def pick_in_groups(
    rng: np.random.Generator, group: np.ndarray, members: dict, fallback: np.ndarray | None = None
) -> np.ndarray:
    """For each row pick a uniformly random member of its group (vectorised per group)."""
    out = np.full(group.size, -1, np.int64)
    for g in np.unique(group):
        idx = np.flatnonzero(group == g)
        pool = members.get(int(g)) if isinstance(members, dict) else members(int(g))
        if pool is None or len(pool) == 0:
            pool = fallback
        out[idx] = pool[rng.integers(0, len(pool), idx.size)]
    return out


@dataclass
class Persons:
    """The pupils of one KS4 cohort: one entry per person in every array."""

    cohort: int
    pid: np.ndarray  # global true person id
    female: np.ndarray
    birth: np.ndarray  # day number
    yob: np.ndarray
    mob: np.ndarray
    eth: np.ndarray
    eal: np.ndarray
    first_lang: np.ndarray
    fsm: np.ndarray
    fsm_hist: np.ndarray  # (n, years) FSM per academic year, column j = year first_year + j
    fsm_first_year: int
    sen: np.ndarray  # 0 none, 1 SEN support, 2 statement/EHCP
    deprivation: np.ndarray
    idaci: np.ndarray  # IDACI score of the home LSOA
    idaci_rank: np.ndarray  # its rank in England, 1 = most deprived
    la: np.ndarray
    region: np.ndarray
    lsoa: np.ndarray
    primary: np.ndarray
    secondary: np.ndarray
    special: np.ndarray  # attends a special school for secondary
    prior: np.ndarray  # KS2-like prior attainment (z)
    z4: np.ndarray  # KS4 attainment (z)
    level2_em: np.ndarray
    ptscnewe: np.ndarray
    att8: np.ndarray
    p8: np.ndarray
    l2basics_94: np.ndarray
    ebacc_94: np.ndarray
    linked: np.ndarray

    @property
    def n(self) -> int:
        return self.pid.size


def make_persons(seed: int, universe: Universe, cohort: int, n: int, pid_offset: int) -> Persons:
    rng = stream(seed, "persons", cohort)
    pid = pid_offset + np.arange(n, dtype=np.int64) + 1
    female = rng.random(n) < 0.49
    first = ymd(cohort - 17, 9, 1)
    last = ymd(cohort - 16, 8, 31)
    birth = rng.integers(int(first), int(last) + 1, n)
    b = birth.astype("datetime64[D]")
    yob = b.astype("datetime64[Y]").astype(np.int64) + 1970
    mob = b.astype("datetime64[M]").astype(np.int64) % 12 + 1
    la = rng.choice(universe.la_code.size, n, p=universe.la_weight)
    region = universe.la_region[la]
    # ethnicity depends on region (London far more diverse)
    p_wbri = np.where(region == LONDON, 0.36, 0.823)
    is_wbri = rng.random(n) < p_wbri
    other = 1 + rng.choice(len(_NON_WBRI), n, p=_NON_WBRI / _NON_WBRI.sum())
    eth = np.where(is_wbri, WBRI, other)
    eal = rng.random(n) < calibrated_prob(ETH_EAL_LOGIT[eth], 0.15)
    lang = np.where(eal, 1 + rng.integers(0, len(FIRST_LANGUAGES) - 1, n), 0)
    deprivation = rng.normal(0, 1, n) + ETH_DEPRIVATION[eth] + np.where(region == LONDON, 0.2, 0.0)
    fsm = rng.random(n) < calibrated_prob(1.7 * deprivation, 0.14)
    # IDACI: the home LSOA's place in England's ranking. Pupils are spread evenly over the
    # national deciles (about 10% each, as LSOAs are), ordered by deprivation and FSM: u is the
    # pupil's percentile of deprivation (1 = most deprived), rank 1 = most deprived LSOA.
    latent = 0.75 * deprivation + 0.6 * fsm + rng.normal(0, 0.35, n)
    u = (np.argsort(np.argsort(latent, kind="stable"), kind="stable") + 0.5) / max(n, 1)
    idaci_rank = 1 + np.minimum((1 - u) * IDACI_LSOAS, IDACI_LSOAS - 1).astype(np.int64)
    idaci = np.round(0.005 + 0.9 * u**2.5, 4)
    lsoa = universe.la_lsoa_start[la] + np.minimum(
        (np.clip(u + rng.normal(0, 0.05, n), 0, 0.999) * universe.la_lsoa_count[la]).astype(
            np.int64
        ),
        universe.la_lsoa_count[la] - 1,
    )
    # FSM history over school years (Reception to Year 13): column j = academic year cohort-11+j
    first_year = cohort - 11
    years = 15
    former = (~fsm) & (rng.random(n) < 0.14)
    p_year = np.where(fsm, 0.82, np.where(former, 0.35, 0.004))
    hist = rng.random((n, years)) < p_year[:, None]
    hist[:, 11] = fsm
    # ability and SEN
    a_raw = rng.normal(0, 1, n) - 0.3 * deprivation
    sen_score = -1.25 * a_raw + 0.55 * (~female) + 0.3 * fsm + rng.normal(0, 0.6, n)
    ranks = np.argsort(np.argsort(-sen_score, kind="stable"), kind="stable") / max(n, 1)
    sen = np.where(ranks < 0.028, 2, np.where(ranks < 0.13, 1, 0))
    prior = a_raw + rng.normal(0, 0.45, n)
    z = (
        0.85 * a_raw
        + 0.45 * rng.normal(0, 1, n)
        + 0.15 * female
        - 0.12 * fsm
        - 0.25 * (sen == 1)
        - 0.6 * (sen == 2)
    )
    z4 = (z - z.mean()) / (z.std() + 1e-9) if n > 1 else z
    thresh = np.quantile(z4, 1 - level2_share(cohort)) if n > 1 else 0.0
    level2_em = z4 > thresh
    ptscnewe = np.clip(np.round(330 + 95 * z4 + rng.normal(0, 12, n), 1), 0, 650)
    att8 = np.clip(np.round(48.5 + 17.5 * z4 + rng.normal(0, 2, n), 2), 0, 90)
    p8 = np.clip(
        np.round(
            (z4 - 0.8 * (prior - prior.mean()) / (prior.std() + 1e-9)) * 1.4
            + rng.normal(0, 0.2, n),
            2,
        ),
        -5,
        5,
    )
    l2basics = z4 > (np.quantile(z4, 0.36) if n > 1 else 0)
    ebacc = (z4 > (np.quantile(z4, 0.74) if n > 1 else 0)) & (rng.random(n) < 0.85)
    special = (sen == 2) & (rng.random(n) < 0.45)
    primary = pick_in_groups(rng, la, lambda g: universe.schools_in(g, 0))
    secondary = pick_in_groups(rng, la, lambda g: universe.schools_in(g, 1))
    spec = pick_in_groups(
        rng, la, lambda g: universe.schools_in(g, 2), fallback=universe.schools_in(0, 1)
    )
    secondary = np.where(special, spec, secondary)
    linked = rng.random(n) < universe.link_rate[eth]
    return Persons(
        cohort,
        pid,
        female,
        birth,
        yob,
        mob,
        eth,
        eal,
        lang,
        fsm,
        hist,
        first_year,
        sen,
        deprivation,
        idaci,
        idaci_rank,
        la,
        region,
        lsoa,
        primary,
        secondary,
        special,
        prior,
        z4,
        level2_em,
        ptscnewe,
        att8,
        p8,
        l2basics,
        ebacc,
        linked,
    )
