"""float32-native vecmath (codegen/vecmath.py): tanh and x**3 in float32 lanes.

The exhaustive checks (all 2^32 inputs) were run offline; here: dense samples including the
range boundaries, and that gelu's loop is float32 SIMD from end to end (no float64 detour)."""

import re

import numpy as np
import pytest

import flowjit as fj

RNG = np.random.default_rng(2024)


def ulp_distance(a, b, dtype=np.float32):
    """|a - b| in float32 ulps (NaN == NaN, +0 == -0)."""
    with np.errstate(all="ignore"):
        ia = np.asarray(a).astype(np.float32).view(np.int32).astype(np.int64)
        ib = np.asarray(b).astype(np.float32).view(np.int32).astype(np.int64)
    mn = -(1 << 31)
    ia = np.where(ia < 0, mn - ia, ia)
    ib = np.where(ib < 0, mn - ib, ib)
    nan = np.isnan(np.asarray(a, np.float32)) & np.isnan(np.asarray(b, np.float32))
    return np.where(nan, 0, np.abs(ia - ib))


def _cube(x):
    return x ** 3


def _tanh(x):
    return np.tanh(x)


def correctly_rounded_cube(x):
    """The float32 nearest to the exact x^3 (ties to even), for float32 `x`: x^2 exact in
    float64 split into two 24-bit halves, two exact products, TwoSum, and a fix-up where the
    float64 sum sits exactly on a float32 midpoint."""
    with np.errstate(all="ignore"):
        xd = x.astype(np.float64)
        x2 = xd * xd
        hd = (x2.view(np.uint64) & np.uint64((1 << 64) - (1 << 29))).view(np.float64)
        a, b = hd * xd, (x2 - hd) * xd
        s = a + b
        bb = s - a
        eps = (a - (s - bb)) + (b - bb)
        r = s.astype(np.float32)
        rd = r.astype(np.float64)
        fin = np.isfinite(rd)
        up = np.nextafter(r, np.float32(np.inf))
        dn = np.nextafter(r, np.float32(-np.inf))
        r = np.where(fin & (s - rd == (up.astype(np.float64) - rd) / 2) & (eps > 0), up, r)
        r = np.where(fin & (s - rd == (dn.astype(np.float64) - rd) / 2) & (eps < 0), dn, r)
        over = (np.abs(s) == 2.0 ** 128 - 2.0 ** 103) & (np.sign(eps) == -np.sign(s))
        r = np.where(over, np.copysign(np.float32(3.4028235e38), s), r).astype(np.float32)
        return np.where(np.isfinite(x), r, x)     # +-inf ** 3 = +-inf, NaN


def _cube_inputs():
    parts = [np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.0, 2.0 ** 43, -2.0 ** 43,
                       2.0 ** 42.67, 2.0 ** -50, 2.0 ** -42, 1e-45, 3.4028235e38], np.float32)]
    bits = RNG.integers(0, 1 << 32, 2_000_000, dtype=np.uint64).astype(np.uint32)
    parts.append(bits.view(np.float32))
    # every float32 around the overflow and subnormal-result boundaries, and one binade of 1.x
    for centre in (2.0 ** (128 / 3), 2.0 ** -26, 2.0 ** (-126 / 3), 2.0 ** (-149 / 3),
                   2.0 ** 43, 1.0):
        c = np.float32(centre).view(np.uint32).astype(np.int64)
        ks = np.arange(c - 200_000, c + 200_000).astype(np.uint32)
        parts += [ks.view(np.float32), (ks | np.uint32(1 << 31)).view(np.float32)]
    return np.concatenate(parts)


def test_cube_float32_is_correctly_rounded():
    """Bit for bit the correctly rounded cube for |x| >= 2^-26 (exhaustively checked offline
    over all those inputs), <= 1 ulp below; <= 1 ulp from NumPy (SVML) everywhere."""
    x = _cube_inputs()
    got = fj.function(_cube)(x)
    assert got.dtype == np.float32
    ref = correctly_rounded_cube(x)
    both_nan = np.isnan(got) & np.isnan(ref)
    exact_range = ~(np.abs(x) < 2.0 ** -26)            # below: faithful (lo*x underflows)
    bad = (got.view(np.uint32) != ref.view(np.uint32)) & ~both_nan & exact_range
    assert not bad.any(), (x[bad][:5], got[bad][:5], ref[bad][:5])
    assert ulp_distance(got, ref).max() <= 1
    with np.errstate(all="ignore"):
        assert ulp_distance(got, np.power(x, np.float32(3)), np.float32).max() <= 1


def test_cube_reference_is_exact():
    from fractions import Fraction

    x = RNG.uniform(-100, 100, 2000).astype(np.float32)
    ref = correctly_rounded_cube(x)
    for v, r in zip(x.tolist(), ref.tolist()):
        exact = Fraction(v) ** 3
        r32 = np.float32(r)
        for n in (np.nextafter(r32, np.float32(-np.inf)), np.nextafter(r32, np.float32(np.inf))):
            assert abs(Fraction(float(n)) - exact) >= abs(Fraction(r) - exact)


def test_tanh_float32_dense():
    # every float32 in [0.6, 0.65] (the polynomial/exp switch), near 9.01 (rounds to 1), plus
    # random bit patterns
    def span(lo, hi):
        a, b = (np.float32(v).view(np.uint32) for v in (lo, hi))
        return np.arange(a, b, dtype=np.uint32).view(np.float32)

    bits = RNG.integers(0, 1 << 32, 2_000_000, dtype=np.uint64).astype(np.uint32)
    x = np.concatenate([span(0.6, 0.65), -span(0.6, 0.65), span(8.9, 9.2), span(0, 1e-30),
                        bits.view(np.float32)])
    got = fj.function(_tanh)(x)
    assert got.dtype == np.float32
    with np.errstate(all="ignore"):
        ref = np.tanh(x)
        true = np.tanh(x.astype(np.float64))
    assert ulp_distance(got, ref, np.float32).max() <= 2
    assert ulp_distance(got, true, np.float32).max() <= 1
    # odd, with signed zeros and tiny values exact
    np.testing.assert_array_equal(np.signbit(got) | np.isnan(got), np.signbit(x) | np.isnan(x))


def _gelu(x):
    return 0.5 * x * (1 + np.tanh(0.7978845608 * (x + 0.044715 * x ** 3)))


def _gelu_cube(x):
    return 0.5 * x * (1 + np.tanh(0.7978845608 * (x + 0.044715 * x * x * x)))


@pytest.mark.parametrize("fn", [_gelu, _gelu_cube], ids=["pow", "cube"])
def test_gelu_loop_is_float32_simd_throughout(fn):
    x = RNG.standard_normal(4096).astype(np.float32)
    cf = fj.function(fn).get_concrete_function(x)
    assert "double" not in cf.llvm_ir.split("attributes #")[0].replace("declare", "")
    asm = cf.asm
    assert re.search(r"\bv(mul|fmadd\w*|add|div)ps\s.*%[yz]mm", asm), "no packed float32 ops"
    assert not re.search(r"cvt\w*(ps2pd|pd2ps)", asm), "float64 detour in the loop"
    assert not re.search(r"\bv\w+pd\s", asm), "float64 arithmetic in the loop"
