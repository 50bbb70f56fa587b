"""Reductions (sum, max, min, mean) and creation (full, constant) vs the interpreter, and
float sums that match NumPy's pairwise summation."""

import itertools

import numpy as np
import pytest

from codegen_support import Native, assert_same, check, make_graph, run_both
from flowjit.ir import types as T

REDUCERS = {"sum": np.sum, "max": np.max, "min": np.min, "mean": np.mean}
SHAPES = [(), (1,), (7,), (3, 4), (2, 3, 5), (0,), (3, 0), (0, 4), (2, 1, 3)]


def _axes(ndim):
    yield None
    for k in range(1, ndim + 1):
        yield from itertools.combinations(range(ndim), k)


def _cases():
    for shape in SHAPES:
        for axis in _axes(len(shape)):
            yield shape, axis


@pytest.mark.parametrize("name", REDUCERS)
@pytest.mark.parametrize("dtype", [np.bool_, np.int32, np.int64, np.float32, np.float64],
                         ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("shape,axis", list(_cases()), ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
def test_reduction(name, dtype, shape, axis, keepdims):
    rng = np.random.default_rng(hash((shape, axis)) % 2**32)
    x = (rng.standard_normal(shape) * 10).astype(dtype)
    fn = REDUCERS[name]
    try:
        g = make_graph(lambda a: fn(a, axis=axis, keepdims=keepdims), [T.TensorType(dtype, shape)])
    except ValueError:
        # A static empty max/min fails at trace time, as it does eagerly.
        with pytest.raises(ValueError):
            fn(x, axis=axis, keepdims=keepdims)
        return
    (actual, _), (expected, _) = run_both(g, x)
    assert_same(actual, expected, rtol=1e-6 if np.dtype(dtype) == np.float32 else 1e-13)


@pytest.mark.parametrize("name", ["max", "min"])
def test_extrema_propagate_nan(name):
    x = np.array([[1.0, np.nan, 3.0], [np.inf, -np.inf, 0.0], [-0.0, 0.0, 2.0]])
    for axis in (None, 0, 1):
        check(lambda a: REDUCERS[name](a, axis=axis), [T.TensorType(np.float64, (3, 3))], x)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [5, 8, 127, 128, 129, 1000, 4097, 100_003])
def test_pairwise_sum_matches_numpy_exactly(dtype, n):
    rng = np.random.default_rng(n)
    x = (rng.standard_normal(n) * 1e3).astype(dtype)
    g = make_graph(lambda a: np.sum(a), [T.TensorType(dtype, (n,))])
    assert Native(g)(x)[0] == np.sum(x)


def test_float32_sum_of_a_million_tenths():
    x = np.full(10**6, 0.1, np.float32)
    g = make_graph(lambda a: (np.sum(a), np.mean(a)), [T.TensorType(np.float32, x.shape)])
    s, m = Native(g)(x)
    assert s == np.sum(x) and m == np.mean(x)


def test_row_sums_pairwise_and_column_sums_sequential():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((300, 257)).astype(np.float32)
    g = make_graph(lambda a: (a.sum(axis=1), a.sum(axis=0), a.sum(axis=(0, 1))),
                   [T.TensorType(np.float32, x.shape)])
    for got, want in zip(Native(g)(x), (x.sum(axis=1), x.sum(axis=0), x.sum())):
        np.testing.assert_array_equal(got, want)


def test_creation_and_constants():
    c = np.arange(6, dtype=np.int32).reshape(2, 3)

    def f(x):
        z = np.zeros((2, 3), np.float32)
        o = np.full_like(x, 7)
        return z + x, o, x * c, np.ones((2, 3), np.bool_)
    check(f, [T.TensorType(np.int32, (2, 3))], c * 3)


def test_empty_extremum_raises_at_run_time():
    g = make_graph(lambda a: np.max(a, axis=0), [T.TensorType(np.float64, (T.Dim("n"), 3))])
    (actual, _), (expected, _) = run_both(g, np.zeros((0, 3)))
    assert isinstance(expected, ValueError)
    assert_same(actual, expected)
