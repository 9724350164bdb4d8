"""Events of a pupil's school years that other NPD collections record: Children in Need episodes,
periods of care (Children Looked After), exclusions, placements in alternative provision (AP) and
pupil referral units (PRU), and absence.

They are drawn from one risk score per pupil (low attainment, FSM, SEN, male), so that the groups
are coherent with the rest of the life course: CIN and CLA are concentrated among disadvantaged
(FSM, deprived) pupils, permanently excluded pupils move to a PRU or AP, and AP/PRU pupils are
more often NEET after 16 (``simulate_life`` reads ``Needs.placed``). Everything here is truth
(real dates); ``views_more`` records it in the sources' layouts.

Target shares (approximate national figures; ``report`` shows them beside the generated ones):
CIN episode at some point from age 10 to the end of KS4 about 10% of pupils (DfE, "Review of
children in need", 2019: 1 in 10 children needed a social worker in 2012-2018); looked after at
some point about 1.5% (0.6-0.7% of children are looked after on any 31 March); permanent exclusion
in Years 9-11 about 0.4% (0.1-0.2% of secondary pupils a year); a fixed-period exclusion in a
school year about 4% of secondary pupils; persistent absence (10%+ of sessions) about 13% of
secondary pupils a year. AP or PRU in Years 10-11 about 3.5%: of the cohort born in 2002/03
about 3% had been in a state-funded AP school (PRU, AP academy or free school) by 16, mostly
at 14 or 15, and 4% counting local-authority-funded AP too (Dave Thomson, IntegratED /
FFT Education Datalab, "Investigating alternative provision: part one", 13 September 2021,
https://integrated.org.uk/2021/09/13/investigating-alternative-provision-part-one); not all of
them were permanently excluded (FFT Education Datalab, "Timpson review reflections, part one",
May 2019). So besides the permanently excluded, high-risk pupils get a PRU placement (about
2.2%, spanning a January census day, dual registered: the school keeps them on roll) or an
LA-funded AP placement (about 2%, about half of them on a January AP census day).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .population import Persons, Universe, pick_in_groups
from .util import calibrated_prob, expand_ranges, stream, ymd

CIN_EVER = 0.10
CLA_EVER = 0.015
PERM_EXCLUDED = 0.004
FIXED_PER_YEAR = 0.04
AP_PLACED = 0.02  # AP placements of pupils not permanently excluded
PRU_PLACED = 0.022  # PRU placements of pupils not permanently excluded (kept on their school roll)
PERM_TO_AP = 0.3  # the rest of the permanently excluded go to a PRU


@dataclass
class Needs:
    """Per-cohort events; person indices refer to ``Persons``."""

    risk: np.ndarray  # (n,) the latent risk score
    cin: dict  # person, referral, closure (-1 = open), nfa
    cla: dict  # person, start, end
    excl: dict  # person, day, sessions, permanent
    placements: dict  # person, kind ('ap' 0 / 'pru' 1), start, end, school, permanent, dual
    absence_rate: np.ndarray  # (n,) share of sessions missed in a typical year
    placed: np.ndarray  # (n,) bool: in AP or a PRU in Years 10-11

    def ever(self, d: dict, n: int) -> np.ndarray:
        out = np.zeros(n, bool)
        out[d["person"]] = True
        return out


def make_needs(seed: int, universe: Universe, p: Persons) -> Needs:
    rng = stream(seed, "needs", p.cohort)
    n = p.n
    C = p.cohort
    risk = (
        -0.8 * p.z4
        + 0.6 * p.fsm
        + 0.5 * (p.sen > 0)
        + 0.4 * (~p.female)
        + 0.3 * p.deprivation
        + rng.normal(0, 0.7, n)
    )
    ks4_end = ymd(C, 7, 20)
    age10 = ymd(C - 6, 9, 1)
    # ---- children in need: one episode, a quarter two; NFA referrals close the same day
    disadvantage = 1.0 * p.deprivation + 0.9 * p.fsm + 0.4 * risk
    cin_ever = rng.random(n) < calibrated_prob(disadvantage, CIN_EVER)
    cla_ever = rng.random(n) < calibrated_prob(1.3 * disadvantage, CLA_EVER)
    cin_ever |= cla_ever  # a looked-after child is a child in need
    ci = np.flatnonzero(cin_ever)
    n_ep = 1 + (rng.random(ci.size) < 0.25)
    owner, _ = expand_ranges(n_ep)
    cp = ci[owner]
    ref = age10 + (rng.random(cp.size) * (ks4_end - age10)).astype(np.int64)
    nfa = rng.random(cp.size) < 0.12
    length = np.where(nfa, 0, rng.integers(20, 700, cp.size))
    closure = ref + length
    cin = {"person": cp, "referral": ref, "closure": closure, "nfa": nfa}
    # ---- looked after: one period of care inside the window
    la_ = np.flatnonzero(cla_ever)
    cstart = age10 + (rng.random(la_.size) * (ks4_end - 200 - age10)).astype(np.int64)
    cend = cstart + rng.integers(30, 1500, la_.size)
    cla = {"person": la_, "start": cstart, "end": cend}
    # ---- permanent exclusions (Years 9-11), fixed-period exclusions (Years 7-11)
    perm = rng.random(n) < calibrated_prob(1.6 * risk, PERM_EXCLUDED)
    pi = np.flatnonzero(perm)
    perm_day = ymd(C - 2, 9, 10) + (
        rng.random(pi.size) * (ymd(C, 5, 1) - ymd(C - 2, 9, 10))
    ).astype(np.int64)
    fixed_parts = []
    p_fixed = calibrated_prob(1.4 * risk, FIXED_PER_YEAR)
    for y in range(C - 4, C + 1):  # academic years of Years 7-11
        has = np.flatnonzero(rng.random(n) < p_fixed)
        k = 1 + rng.geometric(0.55, has.size) - 1
        owner, _ = expand_ranges(k)
        who = has[owner]
        d = ymd(y - 1, 9, 8) + rng.integers(0, 300, who.size)
        fixed_parts.append((who, d, rng.integers(1, 11, who.size)))
    fw = np.concatenate([f[0] for f in fixed_parts])
    fd = np.concatenate([f[1] for f in fixed_parts])
    fs = np.concatenate([f[2] for f in fixed_parts])
    # no fixed-period exclusion after a permanent one
    pday = np.full(n, np.iinfo(np.int64).max)
    pday[pi] = perm_day
    ok = fd < pday[fw]
    excl = {
        "person": np.concatenate([fw[ok], pi]),
        "day": np.concatenate([fd[ok], perm_day]),
        "sessions": np.concatenate([fs[ok], np.zeros(pi.size, np.int64)]),
        "permanent": np.concatenate([np.zeros(ok.sum(), bool), np.ones(pi.size, bool)]),
    }
    # ---- placements: the permanently excluded go to a PRU (or AP) a few days later, to the end of
    # Year 11; other high-risk pupils get an AP placement in Years 10-11 beside their school roll,
    # or a PRU placement starting in the autumn of Year 10 or 11 and spanning its January census
    to_ap = rng.random(pi.size) < PERM_TO_AP
    ap_other = (~perm) & (rng.random(n) < calibrated_prob(1.6 * risk, AP_PLACED))
    ai = np.flatnonzero(ap_other)
    a_start = ymd(C - 2, 9, 5) + rng.integers(0, 560, ai.size)
    a_end = np.minimum(a_start + rng.integers(40, 400, ai.size), ks4_end)
    pru_other = (~perm) & ~ap_other & (rng.random(n) < calibrated_prob(1.6 * risk, PRU_PLACED))
    ri = np.flatnonzero(pru_other)
    r_start = ymd(C - 2 + rng.integers(0, 2, ri.size), 9, 5) + rng.integers(0, 100, ri.size)
    r_end = np.minimum(r_start + rng.integers(150, 400, ri.size), ks4_end)
    s_start = perm_day + rng.integers(3, 30, pi.size)
    person = np.concatenate([pi, ai, ri])
    kind = np.concatenate(
        [np.where(to_ap, 0, 1), np.zeros(ai.size, np.int64), np.ones(ri.size, np.int64)]
    )
    start = np.concatenate([s_start, a_start, r_start])
    end = np.concatenate([np.full(pi.size, ks4_end), a_end, r_end])
    school = pick_in_groups(
        rng, p.la[person], lambda g: universe.schools_in(g, 3), fallback=universe.schools_in(0, 1)
    )
    placements = {
        "person": person,
        "kind": kind,
        "start": start,
        "end": end,
        "school": school,
        "permanent": np.concatenate(
            [np.ones(pi.size, bool), np.zeros(ai.size, bool), np.zeros(ri.size, bool)]
        ),
        # dual registration: a pupil placed at a PRU without an exclusion stays on the school's
        # roll (single registration there) and is registered at the PRU as a subsidiary
        "dual": np.concatenate(
            [np.zeros(pi.size, bool), np.zeros(ai.size, bool), np.ones(ri.size, bool)]
        ),
    }
    placed = np.zeros(n, bool)
    placed[person] = True
    # ---- absence: a person's typical share of sessions missed (mean about 5%)
    absence_rate = np.clip(np.exp(np.log(0.035) + 0.45 * risk + rng.normal(0, 0.55, n)), 0, 0.9)
    return Needs(risk, cin, cla, excl, placements, absence_rate, placed)
