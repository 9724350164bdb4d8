"""Source views of issue #16: LEO geography, the AP and PRU censuses, Children in Need, Children
Looked After, exclusions, absence, PLAMS (school sixth-form aims) and KS5.

Each builder yields ``(source, PhysicalView, table, truth)`` like ``views``; the rows come from
the cohort's ``Needs`` (CIN, CLA, exclusions, placements, absence), its life course (school
enrolments, sixth-form programmes) and its places (home LA over the tax years).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa

from .lifecourse import SFC, SSF
from .linkage import edukey_at
from .population import REGIONS, pick_in_groups
from .util import (
    academic_year_end,
    census_date,
    codes,
    dates,
    day,
    expand_ranges,
    feistel,
    fmt_ids,
    ints,
    key_from,
    null_where,
    year_of,
    ymd,
)
from .views import (
    A_LEVELS,
    AIMS,
    BTEC3,
    Ctx,
    acadyr,
    edukey_strings,
    emit,
    first_unique,
    school_at,
)


def la_strings(ctx: Ctx, la: np.ndarray) -> pa.Array:
    """Pseudonymised LA (the form's *_la_anon fields): a scrambled number per LA."""
    return fmt_ids("LA", feistel(np.asarray(la, np.int64), 16, key_from(ctx.seed, "la")), 5)


def _pmr(ctx: Ctx, person: np.ndarray, when: np.ndarray) -> pa.Array:
    return ctx.pmr(person, np.asarray(when, np.int64))


def _keep(cols: dict, mask: np.ndarray) -> dict:
    m = pa.array(mask)
    return {k: v.filter(m) for k, v in cols.items()}


# ================================================================ LEO geography
def places(ctx: Ctx) -> dict:
    """Home LA per person x tax year from the tax year of the 16th birthday: a person moves with
    probability 4% a year from 18 (60% within the region). Truth and view share it."""
    p = ctx.p
    rng = ctx.rng("places")
    u = ctx.universe
    first = p.cohort - 1  # tax year ending in April of Year 11 (most of the cohort turn 16 in it)
    years = np.arange(first, first + 40)
    years = years[ymd(years + 1, 4, 5) <= ctx.ref]  # complete tax years only
    n = p.n
    la = p.la.copy()
    region_las = {r: np.flatnonzero(u.la_region == r) for r in range(len(REGIONS))}
    rows_la, rows_ty = [], []
    for y in years:
        if y >= p.cohort + 2:
            move = rng.random(n) < 0.04
            same = rng.random(n) < 0.6
            cand = rng.choice(u.la_code.size, n, p=u.la_weight)
            inreg = pick_in_groups(rng, u.la_region[la], region_las)
            la = np.where(move, np.where(same, inreg, cand), la)
        rows_la.append(la.copy())
        rows_ty.append(np.full(n, y))
    if not rows_la:
        return {
            "person": np.zeros(0, np.int64),
            "ty": np.zeros(0, np.int64),
            "la": np.zeros(0, np.int64),
        }
    return {
        "person": np.tile(np.arange(n), len(rows_la)),
        "ty": np.concatenate(rows_ty),
        "la": np.concatenate(rows_la),
    }


def geography_views(ctx: Ctx) -> Iterator:
    pl = places(ctx)
    rng = ctx.rng("geography")
    ek = edukey_at(ctx.ident, pl["person"], ymd(pl["ty"], 4, 6))
    m = (ek >= 0) & (rng.random(ek.size) < 0.97)  # a few tax years without a CIS address
    person, ty, la, ek = pl["person"][m], pl["ty"][m], pl["la"][m], ek[m]
    order = np.lexsort((person, ty, ek))
    person, ty, la, ek = person[order], ty[order], la[order], ek[order]
    keep = first_unique(ek, ty)  # one row per EduKey x tax year (an over-matched EduKey: its owner)
    person, ty, la, ek = person[keep], ty[keep], la[keep], ek[keep]
    region = ctx.universe.la_region[la]
    for pv in ctx.catalog.views("geography"):
        cols = {
            "edukey": edukey_strings(ek),
            "taxyear": ints(ty * 100 + (ty + 1) % 100, pa.int32()),
            "gor": codes(region, REGIONS),
            "laua_anon": la_strings(ctx, la),
        }
        yield emit(ctx, "geography", pv, cols, person)


# ================================================================ AP and PRU censuses
def ap_views(ctx: Ctx) -> Iterator:
    nd, p = ctx.needs, ctx.p
    pl = nd.placements
    ap = np.flatnonzero(pl["kind"] == 0)
    rng = ctx.rng("ap")
    rows_i, rows_y = [], []
    for y in range(2008, 2022):
        d = int(day(census_date("spring", y)))
        if d > ctx.ref:
            continue
        on = ap[(pl["start"][ap] <= d) & (pl["end"][ap] >= d)]
        rows_i.append(on)
        rows_y.append(np.full(on.size, y))
    i = np.concatenate(rows_i) if rows_i else np.zeros(0, np.int64)
    y = np.concatenate(rows_y) if rows_y else np.zeros(0, np.int64)
    person = pl["person"][i]
    n = person.size
    when = ymd(y, 1, 15)
    for pv in ctx.catalog.views("ap_census"):
        cols = {
            "ap_pupilmatchingrefanonymous": _pmr(ctx, person, when),
            "ap_acadyr": acadyr(y),
            "ap_yearofbirth": ints(p.yob[person], pa.int16()),
            "ap_monthofbirth": ints(p.mob[person], pa.int16()),
            "ap_gender": pa.array(np.where(p.female[person], "2", "1"), pa.string()),
            "ap_aptypedescription": null_where(
                codes(rng.integers(0, 4, n), ["IND", "NMS", "ACD", "HSP"]), y >= 2018
            ),
            "ap_fsmeligible": pa.array(p.fsm[person]),
            "ap_senprovision": pa.array(
                np.where(p.sen[person] == 2, "E", np.where(p.sen[person] == 1, "K", "N")),
                pa.string(),
            ),
            "ap_openplacement": pa.array(np.ones(n, bool)),
            "ap_recordstatus": ints(np.ones(n, np.int64), pa.int16(), y < 2018),
            "ap_lanumber_anon": la_strings(ctx, p.la[person]),
        }
        yield emit(ctx, "ap_census", pv, cols, person)


def pru_views(ctx: Ctx) -> Iterator:
    """PRU enrolments on spring census day 2010-2013 (the school census holds them from 2014)."""
    p, e = ctx.p, ctx.life.enrol
    kind = ctx.universe.school_kind[e["school"]]
    rows = []
    for y in range(2010, 2014):
        d = int(day(census_date("spring", y)))
        if d > ctx.ref:
            continue
        on = np.flatnonzero((kind == 3) & (e["entry"] <= d) & (e["leave"] >= d))
        rows.append((on, np.full(on.size, y)))
    if not rows:
        return
    i = np.concatenate([r[0] for r in rows])
    y = np.concatenate([r[1] for r in rows])
    person, school = e["person"][i], e["school"][i]
    n = person.size
    when = ymd(y, 1, 15)
    for pv in ctx.catalog.views("pru_census"):
        cols = {
            "pru_pupilmatchingrefanonymous": _pmr(ctx, person, when),
            "pru_academicyear": acadyr(y),
            "pru_yearofbirth": ints(p.yob[person], pa.int16()),
            "pru_monthofbirth": ints(p.mob[person], pa.int16()),
            "pru_gender": pa.array(np.where(p.female[person], "F", "M"), pa.string()),
            "pru_onroll": pa.array(np.ones(n, bool)),
            "pru_enrolstatus": pa.array(np.where(e["subsidiary"][i], "S", "C"), pa.string()),
            "pru_ncyearactual": pa.array((11 - (p.cohort - y)).astype(str), pa.string()),
            "pru_entrydate": dates(e["entry"][i]),
            "pru_fsmeligible": pa.array(p.fsm[person]),
            "pru_senprovision": pa.array(
                np.where(p.sen[person] == 2, "S", np.where(p.sen[person] == 1, "P", "N")),
                pa.string(),
            ),
            "pru_recordstatus": ints(np.ones(n, np.int64), pa.int16(), np.ones(n, bool)),
            "pru_laestab_anon": ctx.school_str.take(pa.array(school)),
        }
        keep = first_unique(person, y, school)
        yield emit(ctx, "pru_census", pv, _keep(cols, keep), person[keep])


# ================================================================ CIN and CLA
def cin_views(ctx: Ctx) -> Iterator:
    c, p = ctx.needs.cin, ctx.p
    # one row per episode x collection year (to 31 March) it is open in
    first = np.where(
        c["referral"] > ymd(_year_of(c["referral"]), 3, 31),
        _year_of(c["referral"]) + 1,
        _year_of(c["referral"]),
    )
    last = np.where(
        c["closure"] > ymd(_year_of(c["closure"]), 3, 31),
        _year_of(c["closure"]) + 1,
        _year_of(c["closure"]),
    )
    owner, k = expand_ranges(last - first + 1)
    y = first[owner] + k
    ok = (y >= 2009) & (y <= 2021) & (ymd(y - 1, 4, 1) <= ctx.ref)
    owner, y = owner[ok], y[ok]
    person = c["person"][owner]
    closed = c["closure"][owner] <= np.minimum(ymd(y, 3, 31), ctx.ref)
    rng = ctx.rng("cin")
    reason = np.where(c["nfa"][owner], "RC8", np.where(rng.random(owner.size) < 0.8, "RC7", "RC5"))
    for pv in ctx.catalog.views("cin"):
        cols = {
            "cin_pupilmatchingrefanonymous": _pmr(ctx, person, ymd(y, 3, 31)),
            "cin_acadyr": acadyr(y),
            "cin_cinreferraldate": dates(c["referral"][owner]),
            "cin_cinclosuredate": dates(c["closure"][owner], ~closed),
            "cin_referralnfa": ints(c["nfa"][owner].astype(np.int64), pa.int32()),
            "cin_reasonforclosure": null_where(pa.array(reason, pa.string()), ~closed),
            "cin_la_anon": la_strings(ctx, p.la[person]),
        }
        keep = first_unique(person, y, c["referral"][owner])
        yield emit(ctx, "cin", pv, _keep(cols, keep), person[keep])


def cla_views(ctx: Ctx) -> Iterator:
    c, p = ctx.needs.cla, ctx.p
    first = np.where(
        c["start"] > ymd(_year_of(c["start"]), 3, 31),
        _year_of(c["start"]) + 1,
        _year_of(c["start"]),
    )
    last = np.where(
        c["end"] > ymd(_year_of(c["end"]), 3, 31), _year_of(c["end"]) + 1, _year_of(c["end"])
    )
    owner, k = expand_ranges(last - first + 1)
    y = first[owner] + k
    ok = (y >= 2006) & (y <= 2021) & (ymd(y - 1, 4, 1) <= ctx.ref)
    owner, y = owner[ok], y[ok]
    person = c["person"][owner]
    looked_after_31 = c["end"][owner] > ymd(y, 3, 31)
    for pv in ctx.catalog.views("cla"):
        cols = {
            "cla_pupilmatchingrefanonymous": _pmr(ctx, person, ymd(y, 3, 31)),
            "cla_processing_year": ints(y, pa.int16()),
            "cla_poc_start": dates(c["start"][owner]),
            "cla_date_epi_comm": dates(c["start"][owner]),
            "cla_date_epi_ceased": dates(c["end"][owner], looked_after_31),
            "cla_cla_31_march": ints(looked_after_31.astype(np.int64), pa.int16()),
            "cla_cla_la_anon": la_strings(ctx, p.la[person]),
        }
        yield emit(ctx, "cla", pv, cols, person)


def _year_of(days: np.ndarray) -> np.ndarray:
    return year_of(days)


# ================================================================ exclusions and absence
def exclusion_views(ctx: Ctx) -> Iterator:
    x, e = ctx.needs.excl, ctx.life.enrol
    ay = academic_year_end(x["day"])
    rng = ctx.rng("exclusions")
    for pv in ctx.catalog.views("exclusions"):
        m = np.flatnonzero((ay == pv.year) & (x["day"] <= ctx.ref))
        if m.size == 0:
            continue
        person, d = x["person"][m], x["day"][m]
        school = _school_on(e, person, d)
        # the school's own record: a permanent exclusion on the day the enrolment ends
        perm = x["permanent"][m]
        cols = {
            "pupilmatchingrefanonymous": _pmr(ctx, person, d),
            "laestab_anon": null_where(
                ctx.school_str.take(pa.array(np.maximum(school, 0))), school < 0
            ),
            "enrolstatus": pa.array(np.full(m.size, "C"), pa.string()),
            "category": pa.array(np.where(perm, "PERM", "FIXD"), pa.string()),
            "startdate": dates(d),
            "sessions": ints(x["sessions"][m], pa.int16()),
            "perm_duplicate": pa.array(np.zeros(m.size, bool)),
            "reason": codes(rng.integers(0, 6, m.size), ["DB", "PP", "VA", "PA", "VP", "OT"]),
        }
        keep = first_unique(person, d, perm.astype(np.int64))
        yield emit(ctx, "exclusions", pv, _keep(cols, keep), person[keep])


def _school_on(enrol: dict, person: np.ndarray, d: np.ndarray) -> np.ndarray:
    """The school each (person, day) is on the roll of (main registration; -1 = none)."""
    order = np.lexsort((enrol["entry"], enrol["person"]))
    ep, es, ee, el = (
        enrol["person"][order],
        enrol["school"][order],
        enrol["entry"][order],
        enrol["leave"][order],
    )
    main = ~enrol["subsidiary"][order]
    out = np.full(person.size, -1, np.int64)
    lo = np.searchsorted(ep, person, "left")
    hi = np.searchsorted(ep, person, "right")
    width = int((hi - lo).max()) if person.size else 0
    for k in range(width):
        j = lo + k
        ok = j < hi
        jj = np.where(ok, j, 0)
        hit = ok & main[jj] & (ee[jj] <= d) & (el[jj] >= d) & (out < 0)
        out[hit] = es[jj][hit]
    return out


def absence_views(ctx: Ctx) -> Iterator:
    p, nd = ctx.p, ctx.needs
    e = ctx.life.enrol
    for pv in ctx.catalog.views("absence"):
        y = pv.year
        if not (p.cohort - 4 <= y <= p.cohort) or ymd(y, 8, 31) > ctx.ref:
            continue  # secondary Years 7-11
        rng = ctx.rng("absence", y)
        d = int(day(census_date("spring", y)))
        school = school_at(e, p.n, d)
        person = np.flatnonzero(school >= 0)
        school = school[person]
        n = person.size
        possible = np.stack([np.full(n, 140), np.full(n, 118), np.full(n, 128)], 1)
        possible = possible - rng.integers(0, 5, (n, 3))
        rate = np.clip(
            nd.absence_rate[person][:, None] * np.exp(rng.normal(0, 0.35, (n, 3))), 0, 0.95
        )
        missed = np.round(possible * rate).astype(np.int64)
        unauth = np.round(
            missed * np.clip(0.15 + 0.4 * (nd.risk[person] > 1), 0, 1)[:, None]
        ).astype(np.int64)
        auth = missed - unauth
        cols = {
            "pupilmatchingrefanonymous": _pmr(ctx, person, np.full(n, d)),
            "laestab_anon": ctx.school_str.take(pa.array(school)),
        }
        for t, term in enumerate(("autumn", "spring", "summer")):
            cols[f"sessionspossible_{term}"] = ints(possible[:, t], pa.int16())
            cols[f"authorisedabsence_{term}"] = ints(auth[:, t], pa.int16())
            cols[f"unauthorisedabsence_{term}"] = ints(unauth[:, t], pa.int16())
        yield emit(ctx, "absence", pv, cols, person)


# ================================================================ PLAMS and KS5
GRADES = np.array(["A*", "A", "B", "C", "D", "E", "U"])


def plams_views(ctx: Ctx) -> Iterator:
    """School sixth-form programmes: three A levels (level 3, stronger pupils) or a BTEC
    National, one row per aim x academic year of the programme."""
    p, pr, sg = ctx.p, ctx.life.progs, ctx.life.segs
    rng = ctx.rng("plams")
    ssf = np.flatnonzero(pr["kind"] == SSF)
    if ssf.size == 0:
        return
    person = pr["person"][ssf]
    alevel = p.z4[person] + rng.normal(0, 0.5, ssf.size) > -0.2
    n_aims = np.where(alevel, 3, 1)
    owner, k = expand_ranges(n_aims)
    prog = ssf[owner]
    aim = np.where(
        alevel[owner],
        np.asarray(A_LEVELS)[(rng.integers(0, 2, owner.size) + 2 * k) % len(A_LEVELS)],
        np.asarray(BTEC3)[rng.integers(0, len(BTEC3), owner.size)],
    )
    is_sg = np.isin(sg["prog"], ssf)
    s_prog, s_ay, s_end, s_final, s_drop = (
        sg["prog"][is_sg],
        sg["ay"][is_sg],
        sg["end"][is_sg],
        sg["final"][is_sg],
        sg["dropped"][is_sg],
    )
    # rows: aim x segment of its programme
    order = np.argsort(prog, kind="stable")
    prog_s, aim_s = prog[order], aim[order]
    lo = np.searchsorted(prog_s, s_prog, "left")
    hi = np.searchsorted(prog_s, s_prog, "right")
    owner2, k2 = expand_ranges(hi - lo)
    a_idx = lo[owner2] + k2
    r_prog, r_aim = prog_s[a_idx], aim_s[a_idx]
    r_ay, r_end, r_final, r_drop = s_ay[owner2], s_end[owner2], s_final[owner2], s_drop[owner2]
    r_person = pr["person"][r_prog]
    ended = r_final | r_drop
    z = p.z4[r_person]
    g = np.clip(np.round(2.4 - 1.3 * z + rng.normal(0, 0.8, r_prog.size)), 0, 6).astype(np.int64)
    ref_codes = np.array([a[0] for a in AIMS])
    titles = np.array([a[2] for a in AIMS])
    qual_type = np.where(
        np.char.find(titles[r_aim].astype(str), "A level") >= 0, "GCE A level", "BTEC National"
    )
    for pv in ctx.catalog.views("plams"):
        m = (r_ay == pv.year) & (ymd(pv.year - 1, 9, 1) <= ctx.ref)
        if not m.any():
            continue
        per = r_person[m]
        cols = {
            "pl_pupilmatchingrefanonymous": _pmr(ctx, per, pr["start"][r_prog[m]]),
            "pl_laestab_anon": ctx.school_str.take(pa.array(pr["provider"][r_prog[m]])),
            "pl_learningstartdate": dates(pr["start"][r_prog[m]]),
            "pl_learningplannedenddate": dates(pr["planned"][r_prog[m]]),
            "pl_learningactualenddate": dates(r_end[m], ~ended[m]),
            "pl_qan_aat": pa.array(ref_codes[r_aim[m]], pa.string()),
            "pl_qan_att": pa.array(ref_codes[r_aim[m]], pa.string()),
            "pl_qual_type_aat": pa.array(qual_type[m], pa.string()),
            "pl_qual_type_att": pa.array(qual_type[m], pa.string()),
            "pl_qual_lev_aat": pa.array(np.full(m.sum(), "3"), pa.string()),
            "pl_qual_lev_att": pa.array(np.full(m.sum(), "3"), pa.string()),
            "pl_grade_att": null_where(
                pa.array(GRADES[g[m]], pa.string()), ~(r_final[m] & ~r_drop[m])
            ),
        }
        keep = first_unique(per, r_aim[m], pr["start"][r_prog[m]])
        yield emit(ctx, "plams", pv, _keep(cols, keep), per[keep])


def ks5_views(ctx: Ctx) -> Iterator:
    """One KS5 record for every completed level 3 sixth-form (school or college) programme, in
    the academic year it ends."""
    p, pr = ctx.p, ctx.life.progs
    rng = ctx.rng("ks5")
    done = np.flatnonzero(np.isin(pr["kind"], [SSF, SFC]) & ~pr["dropped"])
    if done.size == 0:
        return
    # one record per person: their last completed programme
    order = np.lexsort((pr["end"][done], pr["person"][done]))
    done = done[order]
    last = np.ones(done.size, bool)
    last[:-1] = pr["person"][done][1:] != pr["person"][done][:-1]
    done = done[last]
    person = pr["person"][done]
    y = academic_year_end(pr["end"][done])
    z = p.z4[person]
    n = done.size
    n_alev = np.where(z + rng.normal(0, 0.5, n) > -0.2, 3, 0)
    aps = np.where(n_alev > 0, np.clip(np.round(32 + 8 * z + rng.normal(0, 4, n), 2), 0, 60), 0)
    totpts = np.clip(
        np.round(np.where(n_alev > 0, aps * n_alev, 600 + 140 * z + rng.normal(0, 60, n)), 2),
        0,
        2000,
    )
    lev3 = (rng.random(n) < np.clip(0.82 + 0.08 * z, 0.2, 0.99)).astype(np.int64)
    school = np.where(pr["kind"][done] == SSF, pr["provider"][done], -1)
    for pv in ctx.catalog.views("ks5"):
        m = (y == pv.year) & (ymd(pv.year, 8, 31) <= ctx.ref)
        if not m.any():
            continue
        sc = school[m]
        cols = {
            "ks5_pupilmatchingrefanonymous": _pmr(ctx, person[m], pr["end"][done][m]),
            "ks5_acadyr": acadyr(y[m]),
            "ks5_laestab_anon": null_where(
                ctx.school_str.take(pa.array(np.maximum(sc, 0))), sc < 0
            ),
            "ks5_totpts": pa.array(totpts[m]),
            "ks5_alev": ints(n_alev[m], pa.int16()),
            "ks5_totptse_alev": null_where(pa.array(aps[m]), n_alev[m] == 0),
            "ks5_lev3thresh": ints(lev3[m], pa.int16()),
        }
        yield emit(ctx, "ks5", pv, cols, person[m])


def more_views(ctx: Ctx) -> Iterator:
    yield from geography_views(ctx)
    if ctx.needs is None:
        return
    yield from ap_views(ctx)
    yield from pru_views(ctx)
    yield from cin_views(ctx)
    yield from cla_views(ctx)
    yield from exclusion_views(ctx)
    yield from absence_views(ctx)
    yield from plams_views(ctx)
    yield from ks5_views(ctx)


# ================================================================ truth of characteristics.sql
def characteristic_truth(ctx: Ctx) -> pa.Table:
    """Per person: what the sources record of their needs in the KS4 years (Years 10-11) and
    where they live, by the definitions of marts/characteristics.sql."""
    p, nd, e = ctx.p, ctx.needs, ctx.life.enrol
    n, C = p.n, p.cohort
    cin = nd.ever(nd.cin, n)
    cla = nd.ever(nd.cla, n)
    x = nd.excl
    ay = academic_year_end(x["day"])
    ks4 = (ay >= C - 1) & (ay <= C) & (x["day"] <= ctx.ref)
    fixed = ks4 & ~x["permanent"]
    fk = first_unique(x["person"][fixed], x["day"][fixed])
    n_fixed = np.bincount(x["person"][fixed][fk], minlength=n)
    perm = np.zeros(n, bool)
    perm[x["person"][ks4 & x["permanent"]]] = True
    ap = np.zeros(n, bool)
    pru = np.zeros(n, bool)
    pl = nd.placements
    kind = ctx.universe.school_kind[e["school"]]
    for y in (C - 1, C):
        d = int(day(census_date("spring", y)))
        on = (pl["kind"] == 0) & (pl["start"] <= d) & (pl["end"] >= d)
        ap[pl["person"][on]] = True
    first_day, last_day = ymd(C - 2, 9, 1), ymd(C, 8, 31)
    at_pru = (kind == 3) & (e["entry"] <= last_day) & (e["leave"] >= first_day)
    pru[e["person"][at_pru]] = True
    pl_ = places(ctx)
    region = {}
    for age in (16, 18, 25):
        r = np.full(n, None, object)
        m = pl_["ty"] == C - 16 + age - 1  # tax year starting in April of the year before it ends
        r[pl_["person"][m]] = np.array(REGIONS, object)[ctx.universe.la_region[pl_["la"][m]]]
        region[age] = r
    pr = ctx.life.progs
    ks5_year = np.full(n, -1, np.int64)
    done = np.isin(pr["kind"], [SSF, SFC]) & ~pr["dropped"]
    end_y = academic_year_end(pr["end"])
    ok = done & (ymd(end_y, 8, 31) <= ctx.ref)
    np.maximum.at(ks5_year, pr["person"][ok], end_y[ok])
    plams = np.zeros(n, bool)
    plams[pr["person"][pr["kind"] == SSF]] = True
    return pa.table(
        {
            "person_id": pa.array(p.pid, pa.int64()),
            "is_ever_cin": pa.array(cin.astype(np.int32)),
            "is_ever_looked_after": pa.array(cla.astype(np.int32)),
            "n_fixed_exclusions_ks4": pa.array(n_fixed.astype(np.int32)),
            "was_permanently_excluded_ks4": pa.array(perm.astype(np.int32)),
            "was_in_ap_ks4": pa.array(ap.astype(np.int32)),
            "was_in_pru_ks4": pa.array(pru.astype(np.int32)),
            "region_at_16": pa.array(region[16], pa.string()),
            "region_at_18": pa.array(region[18], pa.string()),
            "region_at_25": pa.array(region[25], pa.string()),
            "ks5_year": ints(ks5_year, pa.int32(), ks5_year < 0),
            "has_plams_aim": pa.array(plams.astype(np.int32)),
        }
    )
