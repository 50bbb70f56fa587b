"""Float max/min through the SIMD helper (codegen/lowering/extremum.py).

The helper must give the sequential `llvm.maximum` loop's result bit for bit: compared with
eager NumPy, and with the same function compiled without the helper (the reference for
blocks holding both zeros, where flowjit's documented tie rule differs from NumPy's). Rows
are sized around the helper's block (lanes x accumulators) and NaN, zeros and infinities are
put in each accumulator, in the scalar tail, first and last."""

import numpy as np
import pytest

import flowjit as fj
from flowjit.codegen.lowering import extremum


def row_max(x):
    return np.max(x, axis=1, keepdims=True)


def row_min(x):
    return np.min(x, axis=1)


def whole_max(x):
    return np.max(x)


def whole_min(x):
    return np.min(x)


def softmax(x):
    m = np.max(x, axis=1, keepdims=True)
    e = np.exp(x - m)
    return e / np.sum(e, axis=1, keepdims=True)


def shifted_max(x):
    """A phase that computes before it reduces: keeps the per-element loop."""
    return np.max(x * 2, axis=1)


def bits(a):
    a = np.ascontiguousarray(np.asarray(a))
    return a.dtype, a.shape, a.tobytes()


def without_helper(monkeypatch, fn, x):
    with monkeypatch.context() as m:
        m.setattr(extremum, "supported", lambda *args: False)
        return fj.function(fn)(x)


def block(dtype):
    return extremum.lanes(np.dtype(dtype)) * extremum.ACCUMULATORS


def rows(dtype, n, seed):
    """Rows of length `n`, each with one of the cases the helper must hand to the exact loop
    (or must not)."""
    w = extremum.lanes(np.dtype(dtype))
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((12, n)) * 100).astype(dtype)
    x[1, 0] = np.nan                                  # first element
    x[2, n - 1] = np.nan                              # last: the scalar tail when n % block
    x[3, min(n - 1, 3 * w + 1)] = np.nan              # the fourth accumulator
    x[4] = -np.abs(x[4])
    x[4, n // 2] = -0.0                               # the max is a zero: exact loop
    x[5] = np.abs(x[5])
    x[5, n // 3] = 0.0                                # the min is a zero
    x[6] = -np.inf
    x[7] = np.inf
    x[8, n - 1] = np.inf                              # an infinite extremum in the tail
    x[9, 0] = -np.inf
    x[10] = x[10, 0]                                  # all equal
    x[11, (n - 1) // 2] = 1e30 if dtype == np.float32 else 1e300
    return x


def sizes(dtype):
    k = block(dtype)
    return [1, 2, k - 1, k, k + 1, 3 * k + 5, 1024]


CASES = [(dt, n) for dt in (np.float32, np.float64) for n in sizes(dt)]


@pytest.mark.parametrize("fn", [row_max, row_min, softmax, whole_max, whole_min])
@pytest.mark.parametrize("dtype,n", CASES)
def test_matches_numpy_and_the_sequential_loop(fn, dtype, n, monkeypatch):
    x = rows(dtype, n, n)
    got = fj.function(fn)(x)
    with np.errstate(all="ignore"):
        want = fn(x)
    if fn is softmax:
        np.testing.assert_allclose(got, want, rtol=2e-6 if dtype == np.float32 else 1e-14,
                                   equal_nan=True)
        assert got.dtype == want.dtype
    else:
        assert bits(got) == bits(want)
    assert bits(got) == bits(without_helper(monkeypatch, fn, x))


@pytest.mark.parametrize("fn", [row_max, row_min, whole_max, whole_min])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_mixed_zeros_follow_the_sequential_loop(fn, dtype, monkeypatch):
    """-0.0 and 0.0 in one block: flowjit orders -0.0 below 0.0 (NumPy's SIMD loops may give
    either), with or without the helper."""
    n = block(dtype) * 2 + 3
    x = np.full((4, n), -1.0, dtype)
    x[0, 5], x[0, n - 2] = -0.0, 0.0
    x[1] = 1.0
    x[1, 7], x[1, block(dtype)] = 0.0, -0.0
    x[2, 5], x[2, n - 2] = 0.0, -0.0
    x[3] = 1.0
    x[3, 7], x[3, block(dtype)] = -0.0, 0.0
    got = fj.function(fn)(x)
    assert bits(got) == bits(without_helper(monkeypatch, fn, x))
    if fn is row_max:
        assert not np.signbit(got[[0, 2], 0]).any()
    if fn is row_min:
        assert np.signbit(got[[1, 3]]).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_helper_is_used_for_plain_rows_only(dtype):
    x = rows(dtype, 100, 3)
    ir_of = {}
    for fn in (row_max, whole_min, softmax, shifted_max):
        f = fj.function(fn)
        f(x)
        ir_of[fn] = f.get_concrete_function(x)._compiled.unoptimized_ir
    assert f"fj.max.{np.dtype(dtype).name}" in ir_of[row_max]
    assert f"fj.min.{np.dtype(dtype).name}" in ir_of[whole_min]
    assert f"fj.max.{np.dtype(dtype).name}" in ir_of[softmax]
    assert "fj.max." not in ir_of[shifted_max]
    np.testing.assert_array_equal(fj.function(shifted_max)(x), shifted_max(x))


def test_integers_keep_the_loop():
    x = np.arange(-50, 50, dtype=np.int32).reshape(4, 25)
    f = fj.function(row_max)
    np.testing.assert_array_equal(f(x), row_max(x))
    assert "fj.max." not in f.get_concrete_function(x)._compiled.unoptimized_ir
