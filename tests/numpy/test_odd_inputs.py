"""Non-contiguous and odd inputs are read correctly end to end: strided views, negative
strides, Fortran order, 0-d arrays, empty arrays, read-only arrays, big-endian data (the runtime
copies what it cannot pass as it is)."""

import numpy as np
import pytest

import flowjit as fj
from numpy_support import assert_same_as_eager


def compute(x):
    return x * 2 + 1, x.sum(axis=0), x[0], x.T @ x


BASE = np.arange(48, dtype=np.float64).reshape(6, 8) / 7


def _readonly(a):
    a = a.copy()
    a.flags.writeable = False
    return a


@pytest.mark.parametrize("make", [
    lambda: BASE[:, ::2], lambda: BASE[::-1], lambda: BASE[::-2, ::-3],
    lambda: np.asfortranarray(BASE), lambda: BASE.T, lambda: BASE[1:4, 2:7],
    lambda: _readonly(BASE), lambda: np.broadcast_to(BASE[0], (3, 8)),
    lambda: BASE.reshape(6, 8, 1)[:, :, 0], lambda: BASE[:0], lambda: BASE[:, :0],
], ids=["step2", "reversed", "negative-steps", "fortran", "transposed", "window", "readonly",
        "broadcast-view", "squeezed-view", "empty-rows", "empty-cols"])
def test_strided_and_odd_arrays(make):
    x = make()
    compiled = fj.function(compute)
    assert_same_as_eager(compute, x, compiled=compiled, ulps=4, atol=1e-12)
    # The caller's array is untouched.
    np.testing.assert_array_equal(x, make())


def test_same_function_many_layouts():
    """One signature, several memory layouts: every call reads its own layout."""
    compiled = fj.function(compute)
    for x in (BASE[:, :6][:6], np.asfortranarray(BASE[:, :6]), BASE[:, ::-1][:, :6],
              BASE[:, 1::1][:, :6]):
        assert_same_as_eager(compute, np.ascontiguousarray(x) if False else x,
                             compiled=compiled, ulps=4, atol=1e-12)
    assert compiled.trace_count == 1


def test_big_endian_input():
    """Read correctly; results are in native byte order (eager keeps '>f8' for x[0])."""
    x = BASE.astype(">f8")
    got = fj.function(compute)(x)
    for g, w in zip(got, compute(BASE)):
        np.testing.assert_allclose(g, w, rtol=1e-13)
        assert g.dtype == np.float64 and g.dtype.isnative


def zero_d(x, s):
    # (x.astype on a 0-d array is a 0-d array eagerly; compiled 0-d results are NumPy
    # scalars, API.md: not compared here.)
    return x + s, x * 2, np.sum(x), np.negative(x)


@pytest.mark.parametrize("x", [np.array(2.5), np.float64(-0.0), np.array(3, np.int32),
                               np.array(np.nan, np.float32)], ids=str)
def test_zero_d(x):
    assert_same_as_eager(zero_d, x, 1.5)


def mutate(x, v):
    x[0] = v
    x[-1] *= 2
    return x.sum()


@pytest.mark.parametrize("make", [lambda: BASE[:, ::2].copy()[:, :3],
                                  lambda: np.asfortranarray(BASE[:4, :3])],
                         ids=["strided", "fortran"])
def test_mutation_of_a_non_contiguous_argument(make):
    """`x[i] = v` on a non-contiguous argument updates the caller's array, as eagerly."""
    assert_same_as_eager(mutate, make(), 9.0)
