"""Reductions and scans compiled vs eager NumPy: sum, prod, mean, max, min, any, all, argmax,
argmin, cumsum, cumprod, var, std; axis None / int / negative / tuple, keepdims; every dtype;
NaN, inf, -0.0, integer extremes, empty axes (NumPy's ValueError for max/argmax of nothing)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import flowjit as fj
from numpy_support import DTYPES, SETTINGS, arrays, assert_same_as_eager

AXES = [None, 0, 1, -1, (0, 1), (-1, 0)]


def with_identity(x):
    """The reductions that accept empty input (one output per axis setting)."""
    out = []
    for axis in AXES:
        for keepdims in (False, True):
            out += [np.sum(x, axis=axis, keepdims=keepdims), x.prod(axis=axis, keepdims=keepdims),
                    np.any(x, axis=axis, keepdims=keepdims), x.all(axis=axis,
                                                                   keepdims=keepdims)]
            if x.dtype != np.bool_:
                out += [np.mean(x, axis=axis, keepdims=keepdims)]
        if x.dtype != np.bool_:
            out += [np.var(x, axis=axis), x.std(axis=axis, ddof=1, keepdims=True)]
    out += [np.cumsum(x, axis=0), x.cumsum(axis=-1), np.cumprod(x, axis=1),
            np.sum(x, axis=1, dtype=np.float64), np.add.reduce(x, axis=0)]
    return tuple(out)


def without_identity(x):
    """max/min/argmax/argmin: ValueError on an empty reduction, as eagerly."""
    out = []
    for axis in (None, 0, -1):
        for keepdims in (False, True):
            out += [np.max(x, axis=axis, keepdims=keepdims), x.min(axis=axis, keepdims=keepdims),
                    np.argmax(x, axis=axis, keepdims=keepdims),
                    x.argmin(axis=axis, keepdims=keepdims)]
    out += [np.max(x, axis=(0, 1)), np.maximum.reduce(x, axis=1)]
    return tuple(out)


_CACHE = {}


def _compiled(fn, dt):
    key = (fn.__name__, dt)
    if key not in _CACHE:
        _CACHE[key] = fj.function(fn, input_signature=[fj.TensorSpec((None, None), dt)])
    return _CACHE[key]


def _tolerance(x):
    # Sums in float: NumPy's pairwise order is reproduced, but var/std/mean divide and
    # square; allow a few ulps, and an absolute error relative to the magnitudes summed.
    if x.dtype.kind != "f" or not np.isfinite(x).all():
        return {"ulps": 4}
    with np.errstate(all="ignore"):
        scale = float(np.sum(np.abs(x.astype(np.float64)) ** 2)) + 1.0
    return {"ulps": 4, "atol": scale * np.finfo(x.dtype).eps * 4}


@pytest.mark.parametrize("fn", [with_identity, without_identity], ids=lambda f: f.__name__)
@pytest.mark.parametrize("dt", DTYPES, ids=str)
@SETTINGS
@given(data=st.data())
def test_reductions(fn, dt, data):
    shape = data.draw(st.tuples(st.integers(0, 5), st.integers(0, 6)))
    x = data.draw(arrays(dt, shape))
    compiled = _compiled(fn, dt)
    assert_same_as_eager(fn, x, compiled=compiled, **_tolerance(x))
    assert compiled.trace_count == 1


def test_pairwise_summation_float32():
    """NumPy's pairwise summation over the contiguous axis, sequential across rows."""
    def sums(x):
        return x.sum(), x.sum(axis=1), x.sum(axis=0), x.mean(axis=1)

    x = np.full((3, 100_003), 0.1, np.float32)
    x[1] = np.linspace(-1, 1, x.shape[1], dtype=np.float32)
    assert_same_as_eager(sums, x, ulps=0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("n", [0, 1, 7, 8, 9, 15, 127, 128, 129, 136, 255, 256, 257, 1000, 1023,
                               1024, 1025, 2047, 2048, 2049])
def test_pairwise_rows_of_static_length(n, dtype):
    """Static row lengths are summed by unfolded straight-line code (reduction.py
    `_pairwise_inline`, up to 2048; a call above): bit for bit NumPy's pairwise order, in a
    plain row sum and inside fused row kernels, on values of mixed magnitudes."""
    def rows(x):
        c = x - np.max(x, axis=1, keepdims=True) if x.shape[1] else x
        return (x.sum(axis=1), c / np.sum(c * c, axis=1, keepdims=True),
                np.mean(x * x, axis=1))

    rng = np.random.default_rng(n)
    x = (rng.standard_normal((5, n)) * 10.0 ** rng.integers(-3, 4, (5, n))).astype(dtype)
    x[4, : n // 2] = -0.0
    assert_same_as_eager(rows, x, ulps=0)


def test_argmax_nan_and_ties():
    def arg(x):
        return np.argmax(x), np.argmin(x), np.argmax(x, axis=1), np.argmin(x, axis=0)

    x = np.array([[1, np.nan, 3, np.nan], [2, 2, -np.inf, -np.inf], [0.0, -0.0, 0.0, 1]])
    assert_same_as_eager(arg, x)
    assert_same_as_eager(arg, x.astype(np.float32))


@pytest.mark.parametrize("axis", [2, -3, (0, 0), 1.5])
def test_invalid_axis_raises_as_numpy(axis):
    def bad(x):
        return np.sum(x, axis=axis)

    assert_same_as_eager(bad, np.ones((2, 3)))
