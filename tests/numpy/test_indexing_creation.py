"""Indexing (ints, slices with steps and negatives, None, ..., traced integer indices,
integer-array gather, out-of-bounds IndexError unless boundscheck=False, setitem) and creation
(zeros/ones/full/empty/arange/linspace/eye/identity/*_like, astype, np.float32(x)) compiled vs
eager NumPy, static and with traced arguments."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import flowjit as fj
from numpy_support import DTYPES, SETTINGS, assert_same_as_eager


def static_indexing(x):
    """x: (4, 5, 6)."""
    return (x[1], x[-1], x[1, 2, 3], x[-4, -5, -6], x[1:3], x[::2], x[::-1], x[3:0:-2],
            x[:, 1:-1:2], x[..., 0], x[..., ::-3], x[None], x[:, None, 1], x[1, ..., None],
            x[-100:100], x[5:], x[:, :, 7:2], x[2:-7:-1], x[np.int64(2)], x[[0, -1, 2]],
            x[:, [1, 1, 0]], x[1, :, [0, 5]], x[np.array([[0, 1], [3, 2]])], x[0, 0][[5, 4]])


@pytest.mark.parametrize("dt", DTYPES, ids=str)
def test_static_indexing(dt):
    x = np.arange(120).reshape(4, 5, 6).astype(dt)
    assert_same_as_eager(static_indexing, x)


def traced_indexing(x, i, j, idx):
    return x[i], x[i, j], x[-1, j], x[i, 1:3], x[:, j], x[idx], x[i][idx], np.take(x, idx)


@SETTINGS
@given(i=st.integers(-7, 7), j=st.integers(-6, 6),
       idx=st.lists(st.integers(-6, 6), min_size=0, max_size=4))
def test_traced_indices_and_bounds(i, j, idx):
    """Traced int and int-array indices, wrapped once if negative; out of bounds raises
    IndexError as eagerly."""
    x = np.arange(30.0).reshape(5, 6)
    idx = np.array(idx, dtype=np.int64)
    key = ("traced", idx.shape)
    if key not in _CACHE:
        _CACHE[key] = fj.function(traced_indexing)
    assert_same_as_eager(traced_indexing, x, i, j, idx, compiled=_CACHE[key])


_CACHE = {}


def test_static_out_of_bounds_raises_at_trace_time():
    def f(x):
        return x[5]

    def g(x):
        return x[0, -4]

    def h(x):
        return x[[0, 7]]

    for fn in (f, g, h):
        assert_same_as_eager(fn, np.ones((3, 3)))


def test_boundscheck_false_skips_the_check():
    def f(x, i):
        return x[i]

    unchecked = fj.function(f, boundscheck=False)
    assert unchecked(np.arange(4.0), 2) == 2.0
    with pytest.raises(IndexError):
        fj.function(f)(np.arange(4.0), 4)


def setitems(x, i, v):
    x[0] = v
    x[i, 1:3] = -1
    x[:, -1] += 2
    x[1, ::-1] = np.arange(x.shape[1])
    return x


@pytest.mark.parametrize("i", [0, 2, -3, 3])
def test_setitem(i):
    assert_same_as_eager(setitems, np.zeros((3, 4)), i, 7.5)


def creation(x, n):
    return (np.zeros(3), np.ones((2, 2), np.int32), np.full((2, 3), 7), np.full(2, 1.5,
                                                                                np.float32),
            np.empty(0), np.empty((2, 0)).shape, np.arange(5), np.arange(2, 11, 3),
            np.arange(10, 0, -3), np.arange(0.5, 3.0, 0.25), np.arange(5, dtype=np.float32),
            np.arange(0.5, 3.0, 0.25, dtype=np.int32), np.linspace(0, 1, 5),
            np.linspace(-1, 1, 4, endpoint=False, dtype=np.float32), np.eye(3),
            np.eye(3, 4, k=1, dtype=np.int64), np.identity(2), np.zeros_like(x),
            np.ones_like(x, dtype=np.int32), np.full_like(x, 3), np.empty_like(x).shape,
            x.astype(np.int32), x.astype(np.bool_), np.float32(x), np.float64(n), np.int32(n),
            np.int64(x[0]), np.bool_(x[1]), np.zeros(x.shape), np.linspace(x[0], x[1], 5),
            np.linspace(n, x[2], 3, endpoint=False), np.full((2,), n))


@pytest.mark.parametrize("dt", [np.float32, np.float64, np.int64], ids=str)
def test_creation(dt):
    x = np.array([1.5, -2.25, 7.0, np.nan if np.dtype(dt).kind == "f" else 0]).astype(dt)
    assert_same_as_eager(creation, x, 3, ulps=1)


def test_creation_errors_as_numpy():
    def neg(x):
        return np.zeros(-1) + x

    def samples(x):
        return np.linspace(0, 1, -2) + x

    def no_stop(x):
        return np.arange() + x

    for fn in (neg, samples, no_stop):
        assert_same_as_eager(fn, 1.0)
