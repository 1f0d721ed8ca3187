"""Hadamard matrices for balanced repeated replication, chosen exactly as R's ``survey::hadamard``.

BRR needs a Hadamard matrix with more rows than strata; which one is used decides the replicates and so
the standard error of every non-linear statistic (a mean's SE can move by 10 % between two valid
matrices). R picks, for ``n`` strata, the smallest of its four stored matrices (orders 4, 16, 28, 36)
that fits within 4 rows of ``n``, otherwise a Paley construction or a doubled stored matrix, whichever
is smallest; :func:`hadamard` reproduces that choice and the matrices, in R's 0/1 coding (1 where R's
matrix has 1, 0 for -1), so ``hadamard(8)`` has 12 rows as in R, not Sylvester's 16.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import numpy.typing as npt

__all__ = ["hadamard"]

IntMatrix = npt.NDArray[np.int64]

# R's survey:::hadamard.list (sizes survey:::hadamard.sizes), row by row.
_STORED: dict[int, tuple[str, ...]] = {
    4: ("1111", "1010", "1100", "1001"),
    16: (
        "1111111111111111",
        "1010101010101010",
        "1100110011001100",
        "1001100110011001",
        "1111000011110000",
        "1010010110100101",
        "1100001111000011",
        "1001011010010110",
        "1111111100000000",
        "1010101001010101",
        "1100110000110011",
        "1001100101100110",
        "1111000000001111",
        "1010010101011010",
        "1100001100111100",
        "1001011001101001",
    ),
    28: (
        "1111111111111111111111111111",
        "1001110001110001110001111000",
        "1000001111001101001101111000",
        "1000001110110010111001100110",
        "1001101000001111100011010110",
        "1001010100101100010110101110",
        "1000110011010010001110011110",
        "0101100010101010011111110000",
        "0100010110110101100111010100",
        "0100011011001011110010101100",
        "0101011000010111011101001010",
        "0100101101100100111010011010",
        "0101100101011001101100100110",
        "0010110100011110101011101000",
        "0011011001100110101100110100",
        "0010101100111011010100011100",
        "0011000111010111010010110010",
        "0011001011111000100111001010",
        "0010110011101101011001000110",
        "1110101001010100010111100100",
        "1111000101100011001011001100",
        "1111000010011100111000011100",
        "1110010101001010110101010010",
        "1110011000111001001010110010",
        "1110100010100111100100101010",
        "1101111111111110000000000000",
        "1011111110000001111110000000",
        "0111111110000000000001111110",
    ),
    36: (
        "111111111111111111111111111111111111",
        "010111000111110111001000010101100100",
        "101110001111101110010000101011001000",
        "011100011111011100100001010110010010",
        "111000111110111001000010101100100100",
        "110001111101110010000101011001001010",
        "100011111011100100001010110010010110",
        "000111110111001000010101100100101110",
        "001111101110010000101011001001011100",
        "011111011100100001010110010010111000",
        "111110111001000010101100100101110000",
        "111101110010000101011001001011100010",
        "111011100100001010110010010111000110",
        "110111001000010101100100101110001110",
        "101110010000101011001001011100011110",
        "011100100001010110010010111000111110",
        "111001000010101100100101110001111100",
        "110010000101011001001011100011111010",
        "100100001010110010010111000111110110",
        "001000010101100100101110001111101110",
        "010000101011001001011100011111011100",
        "100001010110010010111000111110111000",
        "000010101100100101110001111101110010",
        "000101011001001011100011111011100100",
        "001010110010010111000111110111001000",
        "010101100100101110001111101110010000",
        "101011001001011100011111011100100000",
        "010110010010111000111110111001000010",
        "101100100101110001111101110010000100",
        "011001001011100011111011100100001010",
        "110010010111000111110111001000010100",
        "100100101110001111101110010000101010",
        "001001011100011111011100100001010110",
        "010010111000111110111001000010101100",
        "100101110001111101110010000101011000",
        "001011100011111011100100001010110010",
    ),
}
_SIZES = (4, 16, 28, 36)
_MAX_PRIME = 7919  # R's paley() knows the primes = 3 (mod 4) up to this one


def _stored(size: int) -> IntMatrix:
    return np.array([[int(c) for c in row] for row in _STORED[size]], dtype=np.int64)


def _double(h: IntMatrix) -> IntMatrix:
    return np.block([[h, h], [h, 1 - h]])


@cache
def _primes_3_mod_4() -> tuple[int, ...]:
    sieve = np.ones(_MAX_PRIME + 1, dtype=bool)
    sieve[:2] = False
    for i in range(2, math.isqrt(_MAX_PRIME) + 1):
        if sieve[i]:
            sieve[i * i :: i] = False
    return tuple(int(p) for p in np.flatnonzero(sieve) if p % 4 == 3)


def _paley_prime(p: int) -> IntMatrix:
    """Paley's construction of order ``p + 1`` from the quadratic residues modulo the prime ``p``."""
    m = np.add.outer(np.arange(p), np.arange(p)) % p
    residues = {0} | {(i * i) % p for i in range(1, (p - 1) // 2 + 1)}
    core = np.where(np.isin(m, sorted(residues)), 0, 1)
    top = np.ones((1, p), dtype=np.int64)
    return np.column_stack([np.ones(p + 1, dtype=np.int64), np.vstack([top, core])]).astype(np.int64)


def _paley(n: int, nmax: int | None = None) -> IntMatrix | None:
    """R's ``survey:::paley(n, nmax)``: a Paley matrix of order > n, or ``None``."""
    nmax = 2 * n if nmax is None else nmax
    primes = _primes_3_mod_4()
    nceil = nn = n + 4 - (n % 4)
    if (n % 4) + 4 == (n % 8):
        while nn % 8 == 0:
            nn //= 2
        if nn - 1 in primes:
            m = _paley_prime(nn - 1)
            while nn < nceil:
                m = _double(m)
                nn *= 2
            return m
    if n > primes[-1]:
        return None
    p = min(q for q in primes if q >= n)
    if p + 1 > nceil + 4 and nceil + 4 < nmax:
        return _paley(nceil + 3)
    if p > nmax:
        return None
    return _paley_prime(p)


@cache
def _hadamard(n: int) -> IntMatrix:
    m = n - n % 4
    fits = [i for i, s in enumerate(_SIZES) if m < s <= m + 4]
    if fits:
        return _stored(_SIZES[fits[0]])
    if all(m < s for s in _SIZES):
        return _stored(_SIZES[0])
    sizes = [s * 2 ** max(0, math.ceil(math.log2((n + 1) / s))) for s in _SIZES]
    best = int(np.argmin([s - n for s in sizes]))
    h = _paley(n, sizes[best]) if sizes[best] - n > 4 else None
    if h is None:
        h = _stored(_SIZES[best])
        for _ in range(math.ceil(math.log2(sizes[best] / _SIZES[best]))):
            h = _double(h)
    return h


def hadamard(n: int) -> IntMatrix:
    """The 0/1 Hadamard matrix R's ``survey::hadamard(n)`` returns for ``n`` strata.

    Parameters
    ----------
    n : int
        Number of strata (at least 1); the matrix has more than ``n`` rows.

    Returns
    -------
    ndarray of int64, shape (k, k)
        Entries 0 and 1; row ``h + 1`` (0-based) gives stratum ``h``'s half-sample per replicate.

    Examples
    --------
    >>> # R: dim(survey::hadamard(8)); dim(survey::hadamard(16))
    >>> hadamard(8).shape, hadamard(16).shape
    ((12, 12), (20, 20))
    """
    if n < 1:
        raise ValueError(f"a Hadamard matrix needs at least one stratum, not {n}")
    h = _hadamard(int(n)).copy()
    h.flags.writeable = False
    return h
