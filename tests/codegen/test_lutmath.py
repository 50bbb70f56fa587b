"""codegen/lutmath.py: the table-driven float32 tanh and exp (AVX-512 hosts) are within 1 ulp
of the correctly rounded function (tanh also of NumPy), densely around every interval or
table boundary; their vector and scalar forms give identical bits; the vector loops pick
coefficients with permutes, not gathers; and the committed tanh table is what its fitting
procedure produces."""

import re

import numpy as np
import pytest

import flowjit as fj
from flowjit.codegen import lutmath

pytestmark = pytest.mark.skipif(not lutmath.available(), reason="host has no AVX-512F")

RNG = np.random.default_rng(7)


def _ulps(a, b):
    """|a - b| in float32 ulps of b (b float64 or long double, the reference)."""
    b = np.asarray(b)
    return np.abs(a.astype(b.dtype) - b) / np.spacing(np.abs(b).astype(np.float32)).astype(b.dtype)


def _boundary_inputs():
    """4096 consecutive float32 on both sides of every interval boundary, both signs."""
    starts = [lutmath.INDEX_BASE + (k << lutmath.INDEX_SHIFT) for k in range(33)]
    starts.append(int(np.float32(10.0).view(np.uint32)))
    bits = np.concatenate([np.arange(s - 2048, s + 2048, dtype=np.uint32) for s in starts])
    x = bits.view(np.float32)
    return np.concatenate([x, -x, RNG.uniform(-12, 12, 200_000).astype(np.float32)])


def test_tanh_accuracy_at_every_interval_boundary():
    f = fj.function(lambda x: np.tanh(x))
    x = _boundary_inputs()
    got = f(x)
    true = np.tanh(x.astype(np.longdouble))
    assert _ulps(got, true).max() < 1.0
    np.testing.assert_array_max_ulp(got, np.tanh(x), maxulp=1)


def test_tanh_special_values():
    f = fj.function(lambda x: np.tanh(x))
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-45, -1e-45, 1.2e-38, 3.4e38,
                  -3.4e38, 10.0, -10.0, 9.999999], np.float32)
    got = f(x)
    ref = np.tanh(x)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
    ok = ~np.isnan(ref)
    np.testing.assert_array_max_ulp(got[ok], ref[ok], maxulp=1)
    np.testing.assert_array_equal(np.signbit(got[ok]), np.signbit(ref[ok]))   # -0.0 stays -0.0
    assert got[5] == np.float32(1e-45) and got[6] == -np.float32(1e-45)       # tiny x -> x


def _exp_inputs():
    """Around every multiple of ln2/32 (table entry and scaling boundaries), the overflow and
    underflow edges, subnormal results, and the clamp at +-110."""
    ln2_32 = np.log(2.0) / 32
    centers = np.arange(-3500, 4100, 7) * ln2_32
    x = (centers[:, None] + np.linspace(-ln2_32, ln2_32, 41)[None, :]).ravel()
    edges = [88.72283935546875, 88.7228394, -87.33654, -103.97208404541016, -104.0, -110.0,
             110.0, -200.0, 200.0, 0.0, -0.0, 1e-45, -1e-45, np.inf, -np.inf, np.nan]
    return np.concatenate([x, edges, np.random.default_rng(3).uniform(-105, 90, 100_000)]
                          ).astype(np.float32)


def test_exp_accuracy_around_table_boundaries():
    f = fj.function(lambda x: np.exp(x))
    x = _exp_inputs()
    got = f(x)
    with np.errstate(all="ignore"):
        true = np.exp(x.astype(np.longdouble))
        ref = np.exp(x)
    finite = np.isfinite(true) & (true < np.finfo(np.float32).max)
    assert _ulps(got[finite], true[finite]).max() < 1.0
    np.testing.assert_array_equal(np.isnan(got), np.isnan(ref))
    np.testing.assert_array_equal(np.isinf(got), np.isinf(ref))


@pytest.mark.parametrize("name", ["tanh", "exp"])
def test_vector_and_scalar_forms_agree_bit_for_bit(name):
    """The vectorized loop and scalar code (a staged per-element `while` loop, its bound a
    traced value: not vectorized) compute the same function."""
    ufunc = getattr(np, name)
    x = (_boundary_inputs() if name == "tanh" else _exp_inputs())[::7].copy()

    @fj.function
    def elementwise(x):
        return ufunc(x)

    @fj.function
    def scalar_loop(x, n):
        out = np.zeros_like(x)
        i = 0
        while i < n:
            out[i] = ufunc(x[i])
            i += 1
        return out

    np.testing.assert_array_equal(elementwise(x).view(np.int32), scalar_loop(x, np.int64(len(x))).view(np.int32))


@pytest.mark.parametrize("name", ["tanh", "exp"])
def test_loop_uses_permutes_and_inlined_variants(name):
    ufunc = getattr(np, name)
    f = fj.function(lambda x: ufunc(x) * np.float32(2))
    cf = f.get_concrete_function(np.ones(4096, np.float32))
    assert re.search(r"vperm[it]2ps\s.*%zmm", cf.asm), "coefficients not picked by permutes"
    assert "vgather" not in cf.asm
    # the vector variants were inlined after vectorization: no call of them is left
    assert not re.search(r"call [^\n]*@fj\.lut\.\w+\.v\d+", cf.llvm_ir)


def test_table_is_reproduced_by_its_fit():
    """`fit_tanh_f32` regenerates TANH_F32 (to within 2 float32 ulps per coefficient, since
    LAPACK's least squares may round differently elsewhere)."""
    fitted = np.array(lutmath.fit_tanh_f32(), np.uint32).view(np.float32)
    table = np.array(lutmath.TANH_F32, np.uint32).view(np.float32)
    np.testing.assert_array_max_ulp(fitted, table, maxulp=2)
