"""Life courses of one cohort: school enrolments, post-16 programmes, jobs, benefits, NEET, custody.

Everything here is the *truth*: real dates of what happened. The source views (``views.py``)
record it with the sources' own conventions, gaps and errors.

Post-16 years are simulated year by year (academic years after KS4, t = 1 ... up to the reference
date) as a semi-Markov chain of main states with programme durations, mid-year drop-outs and
what people do for the rest of the year after a programme ends. Each step is vectorised over the
cohort.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .needs import Needs
from .population import Persons, Universe, pick_in_groups
from .util import (
    academic_year_end,
    calibrated_choice,
    choice,
    expand_ranges,
    merge_intervals,
    stream,
    tax_year_start,
    ymd,
)

# main states
SSF, SFC, FE, APP, TRN, HE, EMP, NEET, NONE, CUST = range(1, 11)
STATE_NAMES = {
    SSF: "ssf",
    SFC: "sfc",
    FE: "fe",
    APP: "app",
    TRN: "trn",
    HE: "he",
    EMP: "emp",
    NEET: "neet",
    NONE: "none",
    CUST: "cust",
}
PROG_KINDS = (SSF, SFC, FE, APP, TRN, HE, CUST)
EDU = (SSF, SFC, FE, HE)

# truth activity types (truth_activity_spell.activity_type) and details
ACTIVITIES = [
    "school",
    "sixth_form",
    "fe",
    "apprenticeship",
    "traineeship",
    "he",
    "employment",
    "self_employment",
    "out_of_work_benefit",
    "in_work_benefit",
    "neet",
    "custody",
]
A = {name: i for i, name in enumerate(ACTIVITIES)}
DETAILS = [
    "",
    "primary",
    "secondary",
    "special",
    "school_sixth_form",
    "fe_college",
    "sixth_form_college",
    "adult_fe",
    "intermediate",
    "advanced",
    "standard",
    "first_degree",
    "other_undergraduate",
    "postgraduate",
    "full_time",
    "part_time",
    "active",
    "inactive",
    "alternative_provision",
    "pupil_referral_unit",
]
D = {name: i for i, name in enumerate(DETAILS)}

BENEFIT_CODES = [
    "AA",
    "BB",
    "DLA",
    "ESA",
    "IB",
    "ICA",
    "IS",
    "JSA",
    "JTA",
    "PC",
    "PIB",
    "PIP",
    "RP",
    "SDA",
    "UAA",
    "UAB",
    "UBC",
    "UBD",
    "UCE",
    "UDF",
    "UNA",
    "WB",
]
OUT_OF_WORK = {
    "AA",
    "ESA",
    "IB",
    "ICA",
    "IS",
    "JSA",
    "JTA",
    "PC",
    "PIB",
    "RP",
    "SDA",
    "UAA",
    "UBC",
    "UCE",
    "UDF",
}
B = {code: i for i, code in enumerate(BENEFIT_CODES)}
BENEFIT_OOW = np.array([code in OUT_OF_WORK for code in BENEFIT_CODES])
DETAILS.extend(BENEFIT_CODES)
D.update({code: DETAILS.index(code) for code in BENEFIT_CODES})

# previous-outcome categories that drive the next year's choice
(
    P_KS4,
    P_L3ACAD,
    P_L3FE,
    P_L2FE,
    P_EDUDROP,
    P_APPDONE,
    P_EMP,
    P_NEET,
    P_NONE,
    P_TRN,
    P_HEDONE,
    P_HEDROP,
    P_CUST,
    P_APPDROP,
) = range(14)
# columns: SSF SFC FE APP TRN HE EMP NEET NONE
_T = {
    P_L3ACAD: [0, 0, 0.03, 0.06, 0, 0.63, 0.20, 0.035, 0.045],
    P_L3FE: [0, 0, 0.06, 0.10, 0, 0.30, 0.41, 0.09, 0.04],
    P_L2FE: [0.02, 0.02, 0.52, 0.15, 0.03, 0, 0.22, 0.025, 0.015],
    P_EDUDROP: [0.03, 0.02, 0.36, 0.11, 0.04, 0, 0.32, 0.09, 0.03],
    P_APPDONE: [0, 0, 0.02, 0.08, 0, 0.03, 0.80, 0.04, 0.03],
    P_APPDROP: [0, 0, 0.10, 0.05, 0.01, 0, 0.55, 0.24, 0.05],
    P_EMP: [0, 0, 0.02, 0.03, 0.003, 0.015, 0.83, 0.065, 0.04],
    P_NEET: [0, 0, 0.15, 0.06, 0.05, 0, 0.35, 0.32, 0.07],
    P_NONE: [0, 0, 0.05, 0.01, 0, 0.01, 0.22, 0.07, 0.64],
    P_TRN: [0, 0, 0.12, 0.30, 0, 0, 0.33, 0.20, 0.05],
    P_HEDONE: [0, 0, 0.01, 0.01, 0, 0.11, 0.76, 0.045, 0.065],
    P_HEDROP: [0, 0, 0.05, 0.05, 0, 0.08, 0.62, 0.12, 0.08],
    P_CUST: [0, 0, 0.10, 0.02, 0.02, 0, 0.26, 0.45, 0.15],
}
_TILT = np.array([0.9, 0.6, -0.2, 0.0, -0.5, 1.3, -0.1, -0.8, -0.2])


@dataclass
class Life:
    enrol: dict  # school enrolments: person, school, entry, leave, natural, subsidiary
    progs: dict  # programmes (education, training, HE, custody)
    segs: dict  # programme x academic year
    jobs: dict  # PAYE jobs
    neet: dict
    benefits: dict
    selfemp: dict  # person x tax year of self-employment
    job_years: dict  # job x tax year earnings
    spells: dict  # truth activity spells
    adult_fe: dict  # short adult FE courses (also programmes; kept for ILR)
    states: np.ndarray  # (persons, post-16 years) main state per academic year (diagnostics)


def _cat(parts: list[dict]) -> dict:
    keys = parts[0].keys()
    return {k: np.concatenate([p[k] for p in parts]) for k in keys}


def _take(d: dict, idx) -> dict:
    return {k: v[idx] for k, v in d.items()}


def simulate_life(
    seed: int, universe: Universe, p: Persons, reference_day: int, needs: Needs | None = None
) -> Life:
    """``needs`` (CIN, exclusions, AP/PRU placements) shapes school enrolments and post-16 risk."""
    rng = stream(seed, "life", p.cohort)
    C = p.cohort
    n = p.n
    idx = np.arange(n)
    male = ~p.female
    z = p.z4
    enrol_parts: list[dict] = []

    # -------------------------------------------------------- compulsory school (Reception-Year 11)
    p_start = ymd(C - 12, 9, 1) + rng.integers(0, 8, n)
    p_end = ymd(C - 5, 7, 18) + rng.integers(0, 7, n)
    s_start = ymd(C - 5, 9, 1) + rng.integers(0, 6, n)
    s_end = ymd(C, 7, 18) + rng.integers(0, 7, n)
    enrol_parts.append(_moves(rng, universe, p, p.primary, p_start, p_end, 0, 0.08))
    sec_enrol = _moves(rng, universe, p, p.secondary, s_start, s_end, 1, 0.06)
    placed = np.zeros(n, bool)
    cin_ever = np.zeros(n, bool)
    if needs is not None:
        placed = needs.placed
        cin_ever = needs.ever(needs.cin, n)
        sec_enrol, pru_enrol = _placements(needs, sec_enrol, n)
        enrol_parts.append(pru_enrol)
    # dual registration: a subsidiary registration at a PRU / AP for a few months
    dual = rng.random(n) < 0.004
    d_idx = idx[dual]
    d_start = ymd(C - 2, 9, 1) + rng.integers(0, 600, d_idx.size)
    d_school = pick_in_groups(
        rng, p.la[d_idx], lambda g: universe.schools_in(g, 3), fallback=universe.schools_in(0, 1)
    )
    enrol_parts.append(
        {
            "person": d_idx,
            "school": d_school,
            "entry": d_start,
            "leave": d_start + rng.integers(60, 200, d_idx.size),
            "natural": np.zeros(d_idx.size, bool),
            "subsidiary": np.ones(d_idx.size, bool),
        }
    )

    spells: list[dict] = []

    # ------------------------------------------------------------ post-16 years
    ay_ref = int(academic_year_end(np.array([reference_day]))[0])
    T = max(0, ay_ref - C)
    prog_parts, seg_parts, window_parts, neet_parts = [], [], [], []
    prog_cur = np.full(n, -1, np.int64)
    kind_cur = np.zeros(n, np.int64)
    years_left = np.zeros(n, np.int64)
    prev = np.full(n, P_KS4)
    gap_cand = np.zeros(n, bool)
    gap_ready = np.zeros(n, bool)
    inactive_trait = rng.random(n) < np.where(p.sen == 2, 0.6, 0.25)
    level = np.where(p.level2_em, 2, 1)
    next_prog = 0
    prog_start_arr, prog_kind_arr, prog_planned_arr = [], [], []
    state_hist = np.zeros((n, max(T, 1)), np.int64)
    bday18 = _add_years(p.birth, 18)

    for t in range(1, T + 1):
        ys = int(ymd(C + t - 1, 9, 1))
        ye = int(ymd(C + t, 8, 31))
        cont = (prog_cur >= 0) & (years_left > 0)
        new = ~cont
        state = np.where(cont, kind_cur, 0)
        # ---- choose new states
        if t == 1:
            logits = np.stack(
                [
                    1.7 * z - 0.3 * (p.sen > 0),  # SSF
                    1.1 * z,  # SFC
                    -0.35 * z + 0.2 * (p.sen > 0),  # FE
                    0.1 * z + 0.3 * male,  # APP
                    -0.6 * z,  # EMP
                    -1.1 * z
                    + 0.7 * p.fsm
                    + 0.5 * (p.sen > 0)
                    + 1.3 * placed
                    + 0.3 * cin_ever,  # NEET
                    -0.3 * z + 0.8 * (p.eth != 0),  # NONE
                ],
                axis=1,
            )
            shares = np.array([0.382, 0.117, 0.398, 0.042, 0.029, 0.020, 0.012])
            pick = calibrated_choice(rng, logits[new], shares)
            state[new] = np.array([SSF, SFC, FE, APP, EMP, NEET, NONE])[pick]
        else:
            m = new
            tab = np.array([_T[c] for c in range(1, 14)], float)
            probs = tab[np.clip(prev[m], 1, 13) - 1].copy()
            probs *= np.exp(np.outer(z[m], _TILT))
            probs[:, 7] *= np.exp(0.4 * p.fsm[m] + 0.3 * (p.sen[m] > 0) + 0.6 * placed[m])
            if t > 2:
                probs[:, 0] = 0
                probs[:, 1] = 0
            else:
                probs[:, 5] = 0  # no HE before 18
            if C + t - 1 < 2013:
                probs[:, 4] = 0  # traineeships from 2013/14
            if t == 2:
                # after year 1, sixth-form only as a restart
                probs[:, 0] *= 0.5
            pick = choice(rng, probs)
            state[m] = np.array([SSF, SFC, FE, APP, TRN, HE, EMP, NEET, NONE])[pick]
            # gap-year students (decided last year) go to HE; this year's completers may take one
            g = m & gap_ready & np.isin(state, [EMP, NONE, NEET]) & (rng.random(n) < 0.7)
            state[g] = HE
            gap_ready = m & gap_cand & np.isin(state, [EMP, NONE]) & (rng.random(n) < 0.25)
            gap_cand[m] = False
        # custody hazard (ages 16-21)
        if t <= 6:
            hz = 0.0011 * np.where(male, 1.8, 0.2) * np.where(p.fsm, 2.0, 1.0) * np.exp(-0.5 * z)
            cu = (rng.random(n) < hz) & new
            if cu.any():
                state[cu] = CUST
                new = new | cu
                years_left[cu] = 0
        state_hist[:, t - 1] = state

        # ---- new programmes
        starts = new & np.isin(state, PROG_KINDS)
        s_idx = idx[starts]
        k = state[s_idx]
        ns = s_idx.size
        pstart = np.zeros(ns, np.int64)
        planned = np.zeros(ns, np.int64)
        provider = np.zeros(ns, np.int64)
        plevel = np.zeros(ns, np.int64)
        app_type = np.full(ns, -1, np.int64)
        he_level = np.zeros(ns, np.int64)
        # sixth form: own school if it has a sixth form (75%), else another in the LA
        msk = k == SSF
        if msk.any():
            own = universe.school_sixth[p.secondary[s_idx[msk]]] & (rng.random(msk.sum()) < 0.8)
            other = pick_in_groups(
                rng,
                p.la[s_idx[msk]],
                lambda g: _sixth_schools(universe, g),
                fallback=universe.schools_in(0, 1),
            )
            provider[msk] = np.where(own, p.secondary[s_idx[msk]], other)
            yrs = np.where(rng.random(msk.sum()) < 0.05, 3, 2)
            pstart[msk] = ys + rng.integers(0, 6, msk.sum())
            planned[msk] = ymd(C + t - 1 + yrs, 7, 12) + rng.integers(0, 12, msk.sum())
            plevel[msk] = 3
        msk = k == SFC
        if msk.any():
            provider[msk] = pick_in_groups(
                rng, p.region[s_idx[msk]], lambda g: universe.region_prov[(g, 1)]
            )
            pstart[msk] = ys + rng.integers(0, 8, msk.sum())
            planned[msk] = ymd(C + t + 1, 6, 10) + rng.integers(0, 30, msk.sum())
            plevel[msk] = 3
        msk = k == FE
        if msk.any():
            sub = s_idx[msk]
            provider[msk] = pick_in_groups(
                rng, p.region[sub], lambda g: universe.region_prov[(g, 0)]
            )
            lv = np.where(
                level[sub] >= 2,
                np.where(rng.random(sub.size) < 0.8, 3, 2),
                np.where(
                    rng.random(sub.size) < 0.2, 3, np.where(rng.random(sub.size) < 0.75, 2, 1)
                ),
            )
            if t >= 4:
                lv = np.where(rng.random(sub.size) < 0.5, lv, 2)
            yrs = np.where(lv == 3, 2, 1)
            pstart[msk] = ys + rng.integers(0, 15, msk.sum())
            planned[msk] = ymd(C + t - 1 + yrs, 6, 12) + rng.integers(0, 35, msk.sum())
            plevel[msk] = lv
        msk = k == APP
        if msk.any():
            sub = s_idx[msk]
            college = rng.random(sub.size) < 0.35
            provider[msk] = np.where(
                college,
                pick_in_groups(rng, p.region[sub], lambda g: universe.region_prov[(g, 0)]),
                pick_in_groups(rng, p.region[sub], lambda g: universe.region_prov[(g, 2)]),
            )
            start = ys + (
                rng.integers(0, 100 if t == 1 else 130, sub.size)
                if t <= 2
                else rng.integers(0, 330, sub.size)
            )
            adv = (level[sub] >= 2) & (rng.random(sub.size) < np.where(t >= 3, 0.6, 0.35))
            std_share = np.interp(
                academic_year_end(start),
                [2015, 2017, 2018, 2019, 2021],
                [0.0, 0.1, 0.45, 0.75, 0.95],
            )
            std = rng.random(sub.size) < std_share
            app_type[msk] = np.where(std, 25, np.where(adv, 2, 3))
            dur = np.where(adv, rng.integers(450, 760, sub.size), rng.integers(365, 520, sub.size))
            dur = np.where(std, rng.integers(380, 730, sub.size), dur)
            pstart[msk] = start
            planned[msk] = start + dur
            plevel[msk] = np.where(adv, 3, 2)
        msk = k == TRN
        if msk.any():
            sub = s_idx[msk]
            provider[msk] = pick_in_groups(
                rng, p.region[sub], lambda g: universe.region_prov[(g, 2)]
            )
            st = ys + rng.integers(0, 120, sub.size)
            pstart[msk] = st
            planned[msk] = np.minimum(st + rng.integers(42, 180, sub.size), ye)
            plevel[msk] = 1
            app_type[msk] = 24
        msk = k == HE
        if msk.any():
            sub = s_idx[msk]
            provider[msk] = rng.integers(0, universe.he_code.size, sub.size)
            pg = prev[sub] == P_HEDONE
            r = rng.random(sub.size)
            yrs = np.where(pg, 1, np.where(r < 0.78, 3, np.where(r < 0.93, 4, 2)))
            he_level[msk] = np.where(pg, 2, np.where(yrs == 2, 4, 3))
            pstart[msk] = ys + rng.integers(14, 36, sub.size)
            planned[msk] = ymd(C + t - 1 + yrs, 6, 1) + rng.integers(0, 45, sub.size)
            plevel[msk] = np.where(pg, 7, np.where(yrs == 2, 5, 6))
        msk = k == CUST
        if msk.any():
            sub = s_idx[msk]
            st = ys + rng.integers(0, 250, sub.size)
            pstart[msk] = st
            planned[msk] = st + rng.integers(90, 700, sub.size)
        ids = next_prog + np.arange(ns)
        next_prog += ns
        prog_cur[s_idx] = ids
        kind_cur[s_idx] = k
        years_left[s_idx] = academic_year_end(planned) - (C + t) + 1
        prog_parts.append(
            {
                "prog": ids,
                "person": s_idx,
                "kind": k,
                "provider": provider,
                "level": plevel,
                "start": pstart,
                "planned": planned,
                "app_type": app_type,
                "he_level": he_level,
                "start_t": np.full(ns, t),
            }
        )
        prog_start_arr.append(pstart)
        prog_planned_arr.append(planned)
        prog_kind_arr.append(k)

        # ---- this year's segment of every running programme
        running = (prog_cur >= 0) & (years_left > 0) & np.isin(state, PROG_KINDS)
        r_idx = idx[running]
        all_start = np.concatenate(prog_start_arr)
        all_planned = np.concatenate(prog_planned_arr)
        pid_r = prog_cur[r_idx]
        seg_s = np.maximum(all_start[pid_r], ys)
        seg_e = np.minimum(all_planned[pid_r], ye)
        kr = kind_cur[r_idx]
        final = all_planned[pid_r] <= ye
        # drop-outs this year
        yr_in = (C + t) - academic_year_end(all_start[pid_r])  # 0 = first year
        pdrop = np.select(
            [kr == SSF, kr == SFC, kr == FE, kr == APP, kr == HE, kr == TRN],
            [
                0.03,
                0.035,
                np.where(yr_in == 0, 0.06, 0.045),
                0.12 * (yr_in == 0) + 0.08 * (yr_in > 0),
                np.where(yr_in == 0, 0.075, 0.03),
                0.15,
            ],
            0.0,
        )
        pdrop = pdrop * np.exp(-0.45 * z[r_idx])
        drop = (rng.random(r_idx.size) < pdrop) & (kr != CUST)
        lo = np.maximum(seg_s + 20, np.where(kr == APP, seg_s + 20, ys + 30))
        hi = np.maximum(lo + 1, seg_e - 10)
        dday = lo + (rng.random(r_idx.size) * (hi - lo)).astype(np.int64)
        seg_e = np.where(drop, np.minimum(dday, seg_e), seg_e)
        ended = drop | final
        seg_parts.append(
            {
                "prog": pid_r,
                "person": r_idx,
                "ay": np.full(r_idx.size, C + t),
                "start": seg_s,
                "end": seg_e,
                "dropped": drop,
                "final": final & ~drop,
            }
        )
        # outcomes
        kr_end = kr[ended]
        pe = r_idx[ended]
        dropped = drop[ended]
        cat = np.select(
            [
                dropped & np.isin(kr_end, [SSF, SFC, FE]),
                dropped & (kr_end == APP),
                dropped & (kr_end == HE),
                kr_end == HE,
                kr_end == APP,
                kr_end == TRN,
                kr_end == CUST,
                np.isin(kr_end, [SSF, SFC]),
                (kr_end == FE) & (_level_of(prog_parts, pe, prog_cur) == 3),
            ],
            [P_EDUDROP, P_APPDROP, P_HEDROP, P_HEDONE, P_APPDONE, P_TRN, P_CUST, P_L3ACAD, P_L3FE],
            P_L2FE,
        )
        prev[pe] = cat
        lv_done = _level_of(prog_parts, pe, prog_cur)
        level[pe] = np.where(~dropped, np.maximum(level[pe], np.minimum(lv_done, 4)), level[pe])
        gap_cand[pe] = (~dropped) & np.isin(cat, [P_L3ACAD, P_L3FE])
        years_left[r_idx] -= 1
        years_left[pe] = 0
        prog_cur[pe] = -1
        # rest of the year after a programme ended
        end_day = seg_e[ended]
        rest_from = end_day + 1
        has_rest = rest_from < ye - 20
        u = rng.random(pe.size)
        app_done = (kr_end == APP) & ~dropped
        to_emp = has_rest & np.select(
            [app_done, (kr_end == APP), kr_end == HE, kr_end == TRN, kr_end == CUST, dropped],
            [u < 0.85, u < 0.4, dropped & (u < 0.6), u < 0.35, u < 0.15, u < 0.15],
            False,
        )
        to_neet = (
            has_rest
            & ~to_emp
            & np.select(
                [app_done, kr_end == APP, kr_end == HE, kr_end == TRN, kr_end == CUST, dropped],
                [u < 0.92, u < 0.85, dropped & (u < 0.8), True, u < 0.85, u < 0.8],
                False,
            )
        )
        gap = np.where(
            app_done & (u < 0.7),
            0,
            np.where(
                dropped & (kr_end != HE),
                rng.integers(30, 150, pe.size),
                rng.integers(7, 60, pe.size),
            ),
        )
        window_parts.append(
            {
                "person": pe[to_emp],
                "start": np.minimum(rest_from[to_emp] + gap[to_emp], ye),
                "end": np.full(to_emp.sum(), ye),
            }
        )
        neet_parts.append(
            {
                "person": pe[to_neet],
                "start": rest_from[to_neet],
                "end": np.full(to_neet.sum(), ye),
                "inactive": inactive_trait[pe[to_neet]],
            }
        )
        # custody spells: NEET before the start of custody in the year it starts
        c_new = s_idx[k == CUST]
        if c_new.size:
            cst = pstart[k == CUST]
            pre = cst > ys + 14
            neet_parts.append(
                {
                    "person": c_new[pre],
                    "start": np.full(pre.sum(), ys),
                    "end": cst[pre] - 1,
                    "inactive": np.zeros(pre.sum(), bool),
                }
            )
        # apprentices are employees: the apprenticeship is a job window
        a_new = s_idx[k == APP]
        if a_new.size:
            window_parts.append(
                {"person": a_new, "start": pstart[k == APP], "end": planned[k == APP]}
            )
            pre = pstart[k == APP] > ys + 45
            neet_parts.append(
                {
                    "person": a_new[pre],
                    "start": np.full(pre.sum(), ys),
                    "end": pstart[k == APP][pre] - 1,
                    "inactive": np.zeros(pre.sum(), bool),
                }
            )
        t_new = s_idx[k == TRN]
        if t_new.size:
            pre = pstart[k == TRN] > ys + 14
            neet_parts.append(
                {
                    "person": t_new[pre],
                    "start": np.full(pre.sum(), ys),
                    "end": pstart[k == TRN][pre] - 1,
                    "inactive": np.zeros(pre.sum(), bool),
                }
            )
        # ---- non-programme states
        emp = idx[(state == EMP) & new]
        if emp.size:
            partial = rng.random(emp.size) < (0.3 if t == 1 else 0.06 if t == 2 else 0.11)
            w_start = np.where(partial, ys + rng.integers(30, 300, emp.size), ys)
            window_parts.append({"person": emp, "start": w_start, "end": np.full(emp.size, ye)})
            pre = partial & (rng.random(emp.size) < 0.6)
            neet_parts.append(
                {
                    "person": emp[pre],
                    "start": np.full(pre.sum(), ys),
                    "end": w_start[pre] - 1,
                    "inactive": np.zeros(pre.sum(), bool),
                }
            )
            prev[emp] = P_EMP
        ne = idx[(state == NEET) & new]
        neet_parts.append(
            {
                "person": ne,
                "start": np.full(ne.size, ys),
                "end": np.full(ne.size, ye),
                "inactive": inactive_trait[ne],
            }
        )
        prev[ne] = P_NEET
        no = idx[(state == NONE) & new]
        prev[no] = P_NONE

    progs = _cat(prog_parts) if prog_parts else _empty_progs()
    segs = (
        _cat(seg_parts)
        if seg_parts
        else {
            k: np.zeros(0, np.int64)
            for k in ("prog", "person", "ay", "start", "end", "dropped", "final")
        }
    )
    # actual end of every programme = end of its last segment
    if progs["prog"].size:
        last = np.zeros(progs["prog"].size, np.int64)
        np.maximum.at(last, segs["prog"], segs["end"])
        dropped = np.zeros(progs["prog"].size, bool)
        dropped[segs["prog"][segs["dropped"]]] = True
        progs["end"] = np.where(last > 0, last, progs["planned"])
        progs["dropped"] = dropped
        # sixth form: the school enrolment continues (own school) or a new one starts
        ssf = progs["kind"] == SSF
        own = ssf & (progs["provider"] == p.secondary[progs["person"]])
        sec_enrol = _extend_enrolment(sec_enrol, progs["person"][own], progs["end"][own])
        other = ssf & ~own
        enrol_parts.append(
            {
                "person": progs["person"][other],
                "school": progs["provider"][other],
                "entry": progs["start"][other],
                "leave": progs["end"][other],
                "natural": ~progs["dropped"][other],
                "subsidiary": np.zeros(other.sum(), bool),
            }
        )
        # SSF drop-outs leave mid-phase
        sec_enrol["natural"] = sec_enrol["natural"] & ~np.isin(
            sec_enrol["person"], progs["person"][own & progs["dropped"]]
        )
    else:
        progs["end"] = progs["planned"].copy()
        progs["dropped"] = np.zeros(0, bool)
    enrol_parts.append(sec_enrol)
    enrol = _cat(enrol_parts)
    # truth school spells: every enrolment up to the end of Year 11
    skind = universe.school_kind[enrol["school"]]
    sch = enrol["entry"] <= s_end[enrol["person"]]
    spells.append(
        _sp(
            enrol["person"][sch],
            A["school"],
            np.array([D["primary"], D["secondary"], D["special"], D["pupil_referral_unit"]])[
                skind[sch]
            ],
            enrol["entry"][sch],
            np.minimum(enrol["leave"], s_end[enrol["person"]])[sch],
        )
    )

    if needs is not None:
        # AP placements outside schools (the AP census): school spells of their own
        ap = needs.placements["kind"] == 0
        spells.append(
            _sp(
                needs.placements["person"][ap],
                A["school"],
                D["alternative_provision"],
                needs.placements["start"][ap],
                needs.placements["end"][ap],
            )
        )

    # ------------------------------------------------------------ truth spells of programmes
    kind_act = {
        SSF: "sixth_form",
        SFC: "fe",
        FE: "fe",
        APP: "apprenticeship",
        TRN: "traineeship",
        HE: "he",
        CUST: "custody",
    }
    pk = progs["kind"]
    act = np.zeros(pk.size, np.int64)
    for kk, name in kind_act.items():
        act[pk == kk] = A[name]
    det = np.select(
        [
            pk == SSF,
            pk == SFC,
            (pk == FE) & (progs["start_t"] >= 4),
            pk == FE,
            (pk == APP) & (progs["app_type"] == 3),
            (pk == APP) & (progs["app_type"] == 2),
            pk == APP,
            (pk == HE) & (progs["he_level"] == 2),
            (pk == HE) & (progs["he_level"] == 4),
            pk == HE,
        ],
        [
            D["school_sixth_form"],
            D["sixth_form_college"],
            D["adult_fe"],
            D["fe_college"],
            D["intermediate"],
            D["advanced"],
            D["standard"],
            D["postgraduate"],
            D["other_undergraduate"],
            D["first_degree"],
        ],
        D[""],
    )
    spells.append(_sp(progs["person"], act, det, progs["start"], progs["end"]))

    # ------------------------------------------------------------ NEET spells
    neet = (
        _cat(neet_parts)
        if neet_parts
        else {k: np.zeros(0, np.int64) for k in ("person", "start", "end", "inactive")}
    )
    ok = neet["end"] >= neet["start"]
    neet = _take(neet, ok)
    mk, ms, me, _ = merge_intervals(
        neet["person"] * 2 + neet["inactive"], neet["start"], neet["end"]
    )
    neet = {"person": mk // 2, "start": ms, "end": me, "inactive": (mk % 2).astype(bool)}
    spells.append(
        _sp(
            neet["person"],
            A["neet"],
            np.where(neet["inactive"], D["inactive"], D["active"]),
            neet["start"],
            neet["end"],
        )
    )

    # ------------------------------------------------------------ jobs
    windows = (
        _cat(window_parts)
        if window_parts
        else {k: np.zeros(0, np.int64) for k in ("person", "start", "end")}
    )
    ok = windows["end"] >= windows["start"]
    windows = _take(windows, ok)
    wk, wstart, wend, _ = merge_intervals(windows["person"], windows["start"], windows["end"])
    # a window that reaches the last simulated year end runs on past the reference date
    last_ye = int(ymd(C + T, 8, 31)) if T else reference_day
    wend = np.where(wend >= last_ye, reference_day + 3650, wend)
    jobs = _job_chains(rng, p, wk, wstart, wend, reference_day)
    # part-time jobs while studying
    stud = progs["kind"] != CUST
    sp = progs["person"][stud & np.isin(progs["kind"], EDU)]
    sps, spe = (
        progs["start"][stud & np.isin(progs["kind"], EDU)],
        progs["end"][stud & np.isin(progs["kind"], EDU)],
    )
    has = rng.random(sp.size) < np.where(
        progs["kind"][stud & np.isin(progs["kind"], EDU)] == HE, 0.55, 0.4
    )
    sp, sps, spe = sp[has], sps[has], spe[has]
    js = sps + (rng.random(sp.size) * np.maximum(spe - sps - 30, 1)).astype(np.int64)
    je = js + rng.integers(30, 420, sp.size)
    pt_jobs = {
        "person": sp,
        "start": js,
        "end": je,
        "part_time": np.ones(sp.size, bool),
        "pay": _pay(rng, p, sp, js, True),
    }
    # Saturday jobs at 15 for a few
    y11 = rng.random(n) < 0.04
    sj = ymd(C, 1, 1) + rng.integers(0, 200, y11.sum())
    sat = {
        "person": idx[y11],
        "start": sj,
        "end": sj + rng.integers(30, 300, y11.sum()),
        "part_time": np.ones(y11.sum(), bool),
        "pay": _pay(rng, p, idx[y11], sj, True),
    }
    jobs = _cat([jobs, pt_jobs, sat])
    jobs = _take(jobs, jobs["start"] <= reference_day)
    order = np.lexsort((jobs["end"], jobs["start"], jobs["person"]))
    jobs = _take(jobs, order)
    jobs["open"] = jobs["end"] > reference_day
    spells.append(
        _sp(
            jobs["person"],
            A["employment"],
            np.where(jobs["part_time"], D["part_time"], D["full_time"]),
            jobs["start"],
            jobs["end"],
        )
    )

    # ------------------------------------------------------------ adult part-time FE courses
    adult = _adult_fe(rng, universe, p, state_hist, T, C)
    spells.append(_sp(adult["person"], A["fe"], D["adult_fe"], adult["start"], adult["end"]))

    # ----------------------------------------------------- self-employment (tax years from 2013/14)
    selfemp = _self_employment(rng, p, state_hist, T, C, reference_day)
    spells.append(
        _sp(
            selfemp["person"],
            A["self_employment"],
            D[""],
            ymd(selfemp["taxyear"], 4, 6),
            ymd(selfemp["taxyear"] + 1, 4, 5),
        )
    )

    # ------------------------------------------------------------ benefits
    benefits = _benefits(rng, p, neet, jobs, progs, bday18, reference_day)
    bo = BENEFIT_OOW[benefits["code"]]
    spells.append(
        _sp(
            benefits["person"],
            np.where(bo, A["out_of_work_benefit"], A["in_work_benefit"]),
            np.array([D[c] for c in BENEFIT_CODES])[benefits["code"]],
            benefits["start"],
            benefits["end"],
        )
    )

    # ------------------------------------------------------------ earnings per job x tax year
    job_years = _job_years(rng, p, jobs, reference_day)

    sp_all = _cat(spells)
    keep = sp_all["start"] <= reference_day
    sp_all = _take(sp_all, keep)
    sp_all["open"] = sp_all["end"] > reference_day
    sp_all["end"] = np.minimum(sp_all["end"], reference_day)
    order = np.lexsort(
        (sp_all["end"], sp_all["start"], sp_all["detail"], sp_all["activity"], sp_all["person"])
    )
    sp_all = _take(sp_all, order)
    return Life(
        enrol, progs, segs, jobs, neet, benefits, selfemp, job_years, sp_all, adult, state_hist
    )


# ================================================================ helpers
def _sp(person, activity, detail, start, end) -> dict:
    person = np.asarray(person, np.int64)
    nn = person.size
    return {
        "person": person,
        "activity": np.broadcast_to(np.asarray(activity, np.int64), (nn,)).copy(),
        "detail": np.broadcast_to(np.asarray(detail, np.int64), (nn,)).copy(),
        "start": np.asarray(start, np.int64),
        "end": np.asarray(end, np.int64),
    }


def _empty_progs() -> dict:
    e = np.zeros(0, np.int64)
    return {
        "prog": e,
        "person": e,
        "kind": e,
        "provider": e,
        "level": e,
        "start": e,
        "planned": e,
        "app_type": e,
        "he_level": e,
        "start_t": e,
    }


def _level_of(prog_parts, persons, prog_cur) -> np.ndarray:
    levels = np.concatenate([pp["level"] for pp in prog_parts])
    return levels[prog_cur[persons]]


def _add_years(birth: np.ndarray, years: int) -> np.ndarray:
    b = birth.astype("datetime64[D]")
    y = b.astype("datetime64[Y]").astype(np.int64) + 1970
    m = b.astype("datetime64[M]").astype(np.int64) % 12 + 1
    d = (b - b.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1
    d = np.where((m == 2) & (d == 29), 28, d)
    return ymd(y + years, m, d)


def _placements(needs: Needs, sec_enrol: dict, n: int) -> tuple[dict, dict]:
    """A permanent exclusion ends the school enrolment on its day (the enrolment starting later is
    dropped); PRU placements are enrolments at the PRU (main registration; a subsidiary one for a
    pupil placed without an exclusion, who stays on the school's roll)."""
    pl = needs.placements
    excl_day = np.full(n, np.iinfo(np.int64).max)
    perm = needs.excl["permanent"]
    excl_day[needs.excl["person"][perm]] = needs.excl["day"][perm]
    e = dict(sec_enrol)
    d = excl_day[e["person"]]
    keep = e["entry"] <= d
    cut = keep & (e["leave"] > d)
    e["leave"] = np.where(cut, d, e["leave"])
    e["natural"] = e["natural"] & ~cut
    e = {k: v[keep] for k, v in e.items()}
    pru = pl["kind"] == 1
    pru_enrol = {
        "person": pl["person"][pru],
        "school": pl["school"][pru],
        "entry": pl["start"][pru],
        "leave": pl["end"][pru],
        "natural": np.ones(pru.sum(), bool),
        "subsidiary": pl["dual"][pru],
    }
    return e, pru_enrol


def _sixth_schools(universe: Universe, la: int) -> np.ndarray:
    s = universe.schools_in(la, 1)
    return s[universe.school_sixth[s]]


def _moves(rng, universe: Universe, p: Persons, school, start, end, kind: int, rate: float) -> dict:
    """Enrolments at one phase; a share of pupils move school once at a random date."""
    n = p.n
    idx = np.arange(n)
    mover = (rng.random(n) < rate) & (end - start > 400) & ~(p.special & (kind == 1))
    split = start + 150 + (rng.random(n) * np.maximum(end - start - 300, 1)).astype(np.int64)
    new_school = pick_in_groups(
        rng, p.la, lambda g: universe.schools_in(g, kind if kind < 2 else 1)
    )
    first_end = np.where(mover, split, end)
    second_start = split + rng.integers(1, 20, n)
    person = np.concatenate([idx, idx[mover]])
    return {
        "person": person,
        "school": np.concatenate([school, new_school[mover]]),
        "entry": np.concatenate([start, second_start[mover]]),
        "leave": np.concatenate([first_end, end[mover]]),
        "natural": np.concatenate([~mover, np.ones(mover.sum(), bool)]),
        "subsidiary": np.zeros(person.size, bool),
    }


def _extend_enrolment(enrol: dict, persons: np.ndarray, ends: np.ndarray) -> dict:
    """Sixth form at the pupil's own school: their last secondary enrolment runs on."""
    if persons.size == 0:
        return enrol
    e = dict(enrol)
    last = np.zeros(e["person"].size, bool)
    order = np.lexsort((e["entry"], e["person"]))
    lp = e["person"][order]
    is_last = np.ones(lp.size, bool)
    is_last[:-1] = lp[:-1] != lp[1:]
    last[order[is_last]] = True
    newend = np.full(int(e["person"].max()) + 1 if e["person"].size else 0, -1, np.int64)
    newend[persons] = ends
    upd = last & (newend[e["person"]] >= 0)
    e["leave"] = np.where(upd, np.maximum(e["leave"], newend[e["person"]]), e["leave"])
    return e


def _pay(rng, p: Persons, person: np.ndarray, start: np.ndarray, part_time) -> np.ndarray:
    """Annual full-time-equivalent pay at the job's start (GBP)."""
    age = (start - p.birth[person]) / 365.25
    base = 8500 + 2100 * np.clip(age - 16, 0, 12) - 40 * np.clip(age - 16, 0, 12) ** 2
    eff = np.exp(0.09 * p.z4[person] + rng.normal(0, 0.22, person.size))
    pt = np.where(np.asarray(part_time), rng.uniform(0.2, 0.55, person.size), 1.0)
    return base * eff * pt


def _job_chains(rng, p: Persons, wk, wstart, wend, reference_day) -> dict:
    """Fill employment windows with jobs: abutting, overlapping or separated by short gaps."""
    parts = []
    cur = wstart.copy()
    active = np.arange(wk.size)
    for _ in range(40):
        if active.size == 0:
            break
        person = wk[active]
        s = cur[active]
        age = (s - p.birth[person]) / 365.25
        mean = np.where(age < 18, 260, np.where(age < 21, 420, 650))
        dur = np.maximum(14, rng.exponential(mean)).astype(np.int64)
        e = np.minimum(s + dur - 1, wend[active])
        pt = rng.random(active.size) < 0.15
        parts.append(
            {
                "person": person,
                "start": s,
                "end": e,
                "part_time": pt,
                "pay": _pay(rng, p, person, s, pt),
            }
        )
        u = rng.random(active.size)
        nxt = np.where(
            u < 0.25,
            e + 1,
            np.where(
                u < 0.8,
                e + 1 + rng.integers(5, 45, active.size),
                np.maximum(s + 1, e + 1 - rng.integers(5, 60, active.size)),
            ),
        )
        cur[active] = nxt
        keep = (nxt <= wend[active]) & (nxt <= reference_day)
        active = active[keep]
    if not parts:
        e = np.zeros(0, np.int64)
        return {
            "person": e,
            "start": e,
            "end": e,
            "part_time": np.zeros(0, bool),
            "pay": np.zeros(0),
        }
    return _cat(parts)


def _adult_fe(rng, universe, p: Persons, state_hist, T, C) -> dict:
    parts = []
    for t in range(3, T + 1):
        st = state_hist[:, t - 1]
        who = np.flatnonzero(np.isin(st, [EMP, NEET]) & (rng.random(p.n) < 0.04))
        ys = int(ymd(C + t - 1, 9, 1))
        s = ys + rng.integers(0, 220, who.size)
        parts.append(
            {
                "person": who,
                "start": s,
                "end": s + rng.integers(30, 250, who.size),
                "provider": pick_in_groups(
                    rng, p.region[who], lambda g: universe.region_prov[(g, 0)]
                ),
                "ay": np.full(who.size, C + t),
            }
        )
    if not parts:
        e = np.zeros(0, np.int64)
        return {"person": e, "start": e, "end": e, "provider": e, "ay": e}
    return _cat(parts)


def _self_employment(rng, p: Persons, state_hist, T, C, reference_day) -> dict:
    prop = rng.random(p.n) < 0.07
    parts = []
    for ty in range(2013, 2100):
        if ymd(ty + 1, 4, 5) > reference_day:
            break
        # state in the academic year that mostly overlaps the tax year
        t = ty + 1 - C
        if t < 3 or t > T:
            continue
        st = state_hist[:, t - 1]
        pr = np.where(prop, 0.45, 0.004) * np.isin(st, [EMP, NONE, NEET])
        who = np.flatnonzero(rng.random(p.n) < pr)
        earn = np.round(np.exp(rng.normal(np.log(7000), 0.9, who.size)))
        zero = rng.random(who.size) < 0.08
        parts.append(
            {
                "person": who,
                "taxyear": np.full(who.size, ty),
                "earnings": np.where(zero, 0, earn).astype(np.int64),
            }
        )
    if not parts:
        e = np.zeros(0, np.int64)
        return {"person": e, "taxyear": e, "earnings": e}
    return _cat(parts)


def _uc_share(start: np.ndarray) -> np.ndarray:
    yr = start / 365.25 + 1970
    return np.interp(
        yr, [2013.5, 2016.0, 2017.0, 2018.0, 2019.0, 2020.0], [0.0, 0.1, 0.3, 0.6, 0.85, 0.97]
    )


def _benefits(rng, p: Persons, neet: dict, jobs: dict, progs: dict, bday18, reference_day) -> dict:
    parts = []
    # out-of-work claims during NEET spells from age 18
    s = np.maximum(neet["start"], bday18[neet["person"]]) + rng.integers(0, 45, neet["person"].size)
    claim = (s < neet["end"] - 20) & (
        rng.random(neet["person"].size) < np.where(neet["inactive"], 0.6, 0.62)
    )
    person, s, e, inact = (
        neet["person"][claim],
        s[claim],
        neet["end"][claim],
        neet["inactive"][claim],
    )
    e = np.where(e > reference_day, reference_day + 1000, e + rng.integers(0, 20, e.size))
    uc = rng.random(person.size) < _uc_share(s)
    u = rng.random(person.size)
    active_code = np.where(
        uc, np.where(u < 0.75, B["UAA"], np.where(u < 0.9, B["UBC"], B["UCE"])), B["JSA"]
    )
    inactive_code = np.where(
        uc,
        np.where(u < 0.7, B["UCE"], B["UDF"]),
        np.where(
            u < 0.5,
            B["ESA"],
            np.where((u < 0.8) & p.female[person], B["IS"], np.where(u < 0.9, B["ICA"], B["ESA"])),
        ),
    )
    parts.append(
        {
            "person": person,
            "code": np.where(inact, inactive_code, active_code),
            "start": s,
            "end": e,
        }
    )
    # disability benefits: DLA in childhood, PIP from 16 (in-work / other benefits)
    dis = (p.sen == 2) & (rng.random(p.n) < 0.45) | (p.sen == 1) & (rng.random(p.n) < 0.03)
    who = np.flatnonzero(dis)
    d_start = p.birth[who] + rng.integers(3 * 365, 12 * 365, who.size)
    at16 = _add_years(p.birth[who], 16) + rng.integers(0, 300, who.size)
    parts.append(
        {"person": who, "code": np.full(who.size, B["DLA"]), "start": d_start, "end": at16}
    )
    pip = rng.random(who.size) < 0.8
    pip_end = np.where(
        rng.random(who.size) < 0.85, reference_day + 1000, at16 + rng.integers(200, 2000, who.size)
    )
    parts.append(
        {
            "person": who[pip],
            "code": np.full(pip.sum(), B["PIP"]),
            "start": at16[pip] + 1,
            "end": pip_end[pip],
        }
    )
    # in-work Universal Credit for some low-paid jobs from 2017
    age = (jobs["start"] - p.birth[jobs["person"]]) / 365.25
    iw = (
        (jobs["start"] >= ymd(2017, 1, 1))
        & (age >= 19)
        & ~jobs["part_time"]
        & (rng.random(jobs["person"].size) < 0.05)
    )
    js = jobs["start"][iw] + rng.integers(30, 200, iw.sum())
    je = np.minimum(js + rng.integers(90, 540, iw.sum()), jobs["end"][iw])
    u = rng.random(iw.sum())
    parts.append(
        {
            "person": jobs["person"][iw],
            "code": np.where(u < 0.5, B["UAB"], np.where(u < 0.8, B["UBD"], B["UNA"])),
            "start": js,
            "end": np.where(je > reference_day, reference_day + 1000, je),
        }
    )
    # short claims between jobs (gaps of more than four weeks, age 18+)
    jp, jst, jen = jobs["person"], jobs["start"], jobs["end"]
    if jp.size > 1:
        same = jp[1:] == jp[:-1]
        gap_s = jen[:-1] + 1
        gap_e = jst[1:] - 1
        age_g = (gap_s - p.birth[jp[:-1]]) / 365.25
        g = same & (gap_e - gap_s > 28) & (age_g >= 18) & (rng.random(same.size) < 0.3)
        gs = gap_s[g] + rng.integers(3, 10, g.sum())
        ge = gap_e[g] - rng.integers(0, 5, g.sum())
        okg = ge > gs
        uc = rng.random(g.sum()) < _uc_share(gs)
        parts.append(
            {
                "person": jp[:-1][g][okg],
                "code": np.where(uc, B["UAA"], B["JSA"])[okg],
                "start": gs[okg],
                "end": ge[okg],
            }
        )
    # trainees: Job Training Allowance; a handful of bereavement benefits
    tr = progs["kind"] == TRN
    jt = tr & (rng.random(tr.size) < 0.1)
    parts.append(
        {
            "person": progs["person"][jt],
            "code": np.full(jt.sum(), B["JTA"]),
            "start": progs["start"][jt],
            "end": progs["end"][jt],
        }
    )
    bb = np.flatnonzero(rng.random(p.n) < 0.0008)
    bs = ymd(p.cohort + 2, 1, 1) + rng.integers(0, 2000, bb.size)
    parts.append(
        {
            "person": bb,
            "code": np.full(bb.size, B["BB"]),
            "start": bs,
            "end": bs + rng.integers(100, 500, bb.size),
        }
    )
    b = _cat(parts)
    b = _take(b, (b["start"] <= reference_day) & (b["end"] >= b["start"]))
    # same-type spells of one person are merged (as DWP does per EduKey)
    key = b["person"] * 64 + b["code"]
    mk, ms, me, _ = merge_intervals(key, b["start"], b["end"])
    return {"person": mk // 64, "code": mk % 64, "start": ms, "end": me}


def _job_years(rng, p: Persons, jobs: dict, reference_day: int) -> dict:
    """Explode jobs into tax years with the pay earned in each (complete tax years only)."""
    ty0 = tax_year_start(jobs["start"])
    ty1 = tax_year_start(np.minimum(jobs["end"], reference_day))
    cnt = np.maximum(ty1 - ty0 + 1, 0)
    owner, pos = expand_ranges(cnt)
    ty = ty0[owner] + pos
    lo = np.maximum(jobs["start"][owner], ymd(ty, 4, 6))
    hi = np.minimum(np.minimum(jobs["end"][owner], reference_day), ymd(ty + 1, 4, 5))
    days = np.maximum(hi - lo + 1, 0)
    person = jobs["person"][owner]
    age = (ymd(ty, 10, 1) - p.birth[person]) / 365.25
    start_age = (jobs["start"][owner] - p.birth[person]) / 365.25
    growth = np.exp(0.045 * np.clip(age - start_age, 0, 10))
    amount = np.round(
        jobs["pay"][owner] * growth * days / 365.0 * np.exp(rng.normal(0, 0.1, owner.size))
    )
    complete = ymd(ty + 1, 4, 5) <= reference_day
    keep = complete & (days > 0) & (ty >= 2003)
    return {
        "job": owner[keep],
        "person": person[keep],
        "taxyear": ty[keep],
        "amount": amount[keep].astype(np.int64),
    }
