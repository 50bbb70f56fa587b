"""argmax/argmin over contiguous rows (the two-pass lowering) and kmeans_step vs eager NumPy."""

import numpy as np
import pytest

import flowjit as fj
from benchmarks.workloads import _kmeans_inputs, kmeans_step


def _rows_argmin(x):
    return np.argmin(x, axis=1)


def _rows_argmax(x):
    return np.argmax(x, axis=-1)


def _flat_argmin(x):
    return np.argmin(x)


def _rows_argmin_keepdims(x):
    return np.argmin(x, axis=2, keepdims=True)


def _special_rows(dtype):
    rng = np.random.default_rng(3)
    x = rng.integers(-3, 4, (64, 9)).astype(dtype)   # many ties
    if np.dtype(dtype).kind == "f":
        x[1, 4] = np.nan
        x[2, [2, 6]] = np.nan
        x[3, :] = np.nan
        x[4, [0, 3]] = [0.0, -0.0]
        x[5, [1, 5]] = [-0.0, 0.0]
        x[6, :] = 0.0
        x[6, 7] = -0.0
        x[7, 3] = np.inf
        x[8, 2] = -np.inf
        x[9, 8] = np.nan
    else:
        info = np.iinfo(dtype)
        x[1, 3] = info.min
        x[2, 5] = info.max
        x[3, :] = info.min
    return x


@pytest.mark.parametrize("fn", [_rows_argmin, _rows_argmax, _flat_argmin])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.int32])
def test_row_argextremum_matches_numpy(fn, dtype):
    x = _special_rows(dtype)
    got = fj.function(fn)(x)
    want = fn(x)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("shape", [(5, 1), (3, 2, 17), (1, 130)])
def test_row_argextremum_shapes(shape):
    x = np.random.default_rng(0).standard_normal(shape)
    fn = _rows_argmin_keepdims if len(shape) == 3 else _rows_argmax
    np.testing.assert_array_equal(fj.function(fn)(x), fn(x))


def test_row_argmin_empty_row_raises():
    with pytest.raises(ValueError, match="argmin"):
        fj.function(_rows_argmin)(np.zeros((3, 0)))


def test_kmeans_step_matches_numpy():
    rng = np.random.default_rng(0)
    points, init, n_iter = _kmeans_inputs(rng, 2000, 8, 16, 5)
    f = fj.function(kmeans_step, static_argnames=("n_iter",))
    np.testing.assert_allclose(f(points, init, n_iter=n_iter), kmeans_step(points, init, n_iter),
                               rtol=1e-12, atol=1e-12)
