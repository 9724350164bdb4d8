"""Vectorised helpers: seeded streams, identifier scrambling, dates as day numbers, intervals."""

from __future__ import annotations

import datetime as dt
import hashlib

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

EPOCH = dt.date(1970, 1, 1)
OPEN_END = dt.date(9999, 12, 31)
SQL_ZERO_DATE = dt.date(1900, 1, 1)


def day(d: dt.date) -> int:
    return (d - EPOCH).days


OPEN_DAY = day(OPEN_END)
ZERO_DAY = day(SQL_ZERO_DATE)


def stream(seed: int, *names: object) -> np.random.Generator:
    """An independent random stream named by ``names`` (stable across runs and platforms)."""
    text = "/".join(str(n) for n in names).encode()
    words = np.frombuffer(hashlib.sha256(text).digest()[:16], dtype=np.uint32).tolist()
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence([seed & 0xFFFFFFFF, seed >> 32, *words]))
    )


def key_from(seed: int, *names: object) -> int:
    text = ("/".join(str(n) for n in names) + f"#{seed}").encode()
    return int.from_bytes(hashlib.sha256(text).digest()[:8], "little")


# ---------------------------------------------------------------- identifier scrambling
def feistel(values: np.ndarray, bits: int, key: int, rounds: int = 4) -> np.ndarray:
    """A keyed permutation of [0, 2**bits) (bits even): distinct inputs give distinct outputs."""
    if bits % 2:
        raise ValueError("bits must be even")
    half = bits // 2
    mask = np.uint64((1 << half) - 1)
    x = np.asarray(values, dtype=np.uint64)
    if x.size and int(x.max()) >= (1 << bits):
        raise ValueError(f"identifier sequence exceeds its {bits}-bit domain")
    left = (x >> np.uint64(half)) & mask
    right = x & mask
    keys = [np.uint64((key >> (16 * i)) & 0xFFFF_FFFF) | np.uint64(1) for i in range(rounds)]
    with np.errstate(over="ignore"):
        for k in keys:
            f = (right * np.uint64(0x9E3779B97F4A7C15) + k) & np.uint64(0xFFFF_FFFF_FFFF_FFFF)
            f = (f ^ (f >> np.uint64(29))) * np.uint64(0xBF58476D1CE4E5B9)
            f = (f ^ (f >> np.uint64(32))) & mask
            left, right = right, left ^ f
    return ((left << np.uint64(half)) | right).astype(np.int64)


def fmt_ids(prefix: str, values: np.ndarray, width: int) -> pa.Array:
    """'prefix' + zero-padded decimal of each value, as an Arrow string array."""
    digits = pc.utf8_lpad(
        pc.cast(pa.array(np.asarray(values, dtype=np.int64)), pa.string()), width, "0"
    )
    if not prefix:
        return digits
    return pc.binary_join_element_wise(prefix, digits, "")


def blank_where(arr: pa.Array, mask: np.ndarray) -> pa.Array:
    """Replace values by '' where ``mask``."""
    if not mask.any():
        return arr
    return pc.if_else(pa.array(mask), pa.scalar("", pa.string()), arr)


def null_where(arr: pa.Array, mask: np.ndarray) -> pa.Array:
    if not mask.any():
        return arr
    return pc.if_else(pa.array(mask), pa.scalar(None, arr.type), arr)


def dates(days: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    arr = pa.array(np.asarray(days, dtype=np.int32)).cast(pa.date32())
    return null_where(arr, null) if null is not None else arr


def codes(values: np.ndarray, labels: list[str] | np.ndarray) -> pa.Array:
    """Map integer codes to strings through a label list (Arrow dictionary decode)."""
    labels_arr = pa.array(list(labels), pa.string())
    return pc.take(labels_arr, pa.array(np.asarray(values, dtype=np.int32)))


def ints(
    values: np.ndarray, typ: pa.DataType | None = None, null: np.ndarray | None = None
) -> pa.Array:
    arr = pa.array(np.asarray(values), type=typ or pa.int64())
    return null_where(arr, null) if null is not None else arr


# ---------------------------------------------------------------- dates as day numbers
def ymd(y: np.ndarray | int, m: np.ndarray | int, d: np.ndarray | int = 1) -> np.ndarray:
    """Day numbers (days since 1970-01-01) of dates given by components (vectorised)."""
    y = np.asarray(y, dtype=np.int64)
    m = np.asarray(m, dtype=np.int64)
    d = np.asarray(d, dtype=np.int64)
    months = (y - 1970) * 12 + (m - 1)
    first = months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    return (first + d - 1).astype(np.int64)


def year_of(days: np.ndarray) -> np.ndarray:
    return (
        np.asarray(days, dtype=np.int64)
        .astype("datetime64[D]")
        .astype("datetime64[Y]")
        .astype(np.int64)
        + 1970
    )


def month_of(days: np.ndarray) -> np.ndarray:
    m = (
        np.asarray(days, dtype=np.int64)
        .astype("datetime64[D]")
        .astype("datetime64[M]")
        .astype(np.int64)
    )
    return m % 12 + 1


def month_index(days: np.ndarray) -> np.ndarray:
    """Months since Jan 1970."""
    return (
        np.asarray(days, dtype=np.int64)
        .astype("datetime64[D]")
        .astype("datetime64[M]")
        .astype(np.int64)
    )


def tax_year_start(days: np.ndarray) -> np.ndarray:
    """Calendar year in which the tax year (6 Apr - 5 Apr) containing the day starts."""
    y = year_of(days)
    return np.where(days >= ymd(y, 4, 6), y, y - 1)


def academic_year_end(days: np.ndarray) -> np.ndarray:
    """The end year of the academic year (1 Sep - 31 Aug) containing the day."""
    y = year_of(days)
    return np.where(month_of(days) >= 9, y + 1, y)


def nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    """The n-th given weekday (Mon=0) of a month."""
    first = dt.date(year, month, 1)
    offset = (weekday - first.weekday()) % 7
    return first + dt.timedelta(days=offset + 7 * (n - 1))


def census_date(term: str, year: int) -> dt.date:
    """School Census reference day of a view year (academic-year end)."""
    if term == "autumn":
        return nth_weekday(year - 1, 10, 3, 1)
    if term == "spring":
        return nth_weekday(year, 1, 3, 3)
    return nth_weekday(year, 5, 3, 3)


# ---------------------------------------------------------------- interval algebra
def merge_intervals(key: np.ndarray, start: np.ndarray, end: np.ndarray, gap: int = 1):
    """Merge intervals per key that overlap or lie within ``gap`` days.

    Returns (key, start, end, group) where ``group`` maps each input interval to its merged one.
    """
    key = np.asarray(key, dtype=np.int64)
    start = np.asarray(start, dtype=np.int64)
    end = np.asarray(end, dtype=np.int64)
    n = key.size
    if n == 0:
        e = np.zeros(0, np.int64)
        return e, e, e, e
    order = np.lexsort((end, start, key))
    k, s, e = key[order], start[order], end[order]
    base = int(min(s.min(), e.min()))
    span = int(max(s.max(), e.max())) - base + 2 * gap + 2
    # running max of end within key: keys ascend, so offset by key*span
    kk = k - k.min()
    combined = kk * span + (e - base)
    runmax = np.maximum.accumulate(combined) - kk * span + base
    prev_max = np.empty(n, np.int64)
    prev_max[0] = np.iinfo(np.int64).min // 4
    prev_max[1:] = runmax[:-1]
    new = np.ones(n, bool)
    new[1:] = (k[1:] != k[:-1]) | (s[1:] > prev_max[1:] + gap)
    gid_sorted = np.cumsum(new) - 1
    starts_idx = np.flatnonzero(new)
    m_key = k[starts_idx]
    m_start = s[starts_idx]
    m_end = np.maximum.reduceat(e, starts_idx)
    group = np.empty(n, np.int64)
    group[order] = gid_sorted
    return m_key, m_start, m_end, group


def expand_ranges(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For counts c_i return (owner index repeated c_i times, position 0..c_i-1)."""
    counts = np.asarray(counts, dtype=np.int64)
    owner = np.repeat(np.arange(counts.size), counts)
    if owner.size == 0:
        return owner, owner
    starts = np.cumsum(counts) - counts
    pos = np.arange(owner.size) - np.repeat(starts, counts)
    return owner, pos


def choice(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """Row-wise categorical draw from a (n, k) probability matrix."""
    probs = np.asarray(probs, dtype=float)
    cum = np.cumsum(probs, axis=1)
    cum /= cum[:, -1:]
    u = rng.random(probs.shape[0])[:, None]
    return (u > cum).sum(axis=1).astype(np.int64).clip(0, probs.shape[1] - 1)


def calibrated_choice(
    rng: np.random.Generator, logits: np.ndarray, shares: np.ndarray, iters: int = 30
) -> np.ndarray:
    """Categorical draw whose expected marginal shares equal ``shares`` (intercepts fitted)."""
    logits = np.asarray(logits, dtype=float)
    shares = np.asarray(shares, dtype=float)
    shares = shares / shares.sum()
    b = np.zeros(logits.shape[1])
    for _ in range(iters):
        z = logits + b
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        mean = p.mean(axis=0)
        b += np.log(np.maximum(shares, 1e-12) / np.maximum(mean, 1e-12))
    z = logits + b
    z -= z.max(axis=1, keepdims=True)
    p = np.exp(z)
    return choice(rng, p)


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


def logit(p: float) -> float:
    return float(np.log(p / (1 - p)))


def calibrated_prob(x: np.ndarray, share: float, iters: int = 40) -> np.ndarray:
    """Per-row probabilities sigmoid(x + b) whose mean is ``share``."""
    x = np.asarray(x, dtype=float)
    if x.size == 0:
        return x
    b = logit(min(max(share, 1e-6), 1 - 1e-6))
    for _ in range(iters):
        p = sigmoid(x + b)
        m = p.mean()
        b += logit(min(max(share, 1e-6), 1 - 1e-6)) - logit(min(max(m, 1e-6), 1 - 1e-6))
    return sigmoid(x + b)
