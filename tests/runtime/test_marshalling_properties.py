"""Property tests: any supported argument layout is passed to native code and back correctly."""

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import flowjit as fj

from fjtest.differential import assert_same_as_eager

DTYPES = [np.bool_, np.int32, np.int64, np.float32, np.float64]
SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def combine(x, y):
    return x * y + 1


def reverse_pair(x, y):
    return {"b": y, "a": (x,)}


def elements(dtype):
    if np.dtype(dtype).kind == "f":
        return st.floats(-1e3, 1e3, width=np.dtype(dtype).itemsize * 8)
    if np.dtype(dtype).kind == "i":
        return st.integers(-1000, 1000)
    return st.booleans()


@st.composite
def arrays_maybe_strided(draw):
    """An array of a supported dtype, sometimes a strided or reversed view of a bigger one."""
    dtype = draw(st.sampled_from(DTYPES))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))
    base = draw(hnp.arrays(dtype, tuple(2 * n for n in shape), elements=elements(dtype)))
    kind = draw(st.sampled_from(["contiguous", "strided", "reversed", "transposed"]))
    if kind == "strided":
        return base[tuple(slice(None, None, 2) for _ in shape)]
    if kind == "reversed":
        return base[tuple(slice(None, None, -2) for _ in shape)]
    view = base[tuple(slice(0, n) for n in shape)]
    return view.T if kind == "transposed" else np.ascontiguousarray(view)


scalars = st.one_of(
    st.booleans(), st.integers(-2 ** 40, 2 ** 40), st.floats(-1e6, 1e6),
    st.sampled_from(DTYPES).flatmap(lambda d: elements(d).map(np.dtype(d).type)))


@SETTINGS
@given(x=arrays_maybe_strided(), y=st.one_of(scalars, arrays_maybe_strided()))
def test_combine_matches_eager(x, y):
    try:
        np.broadcast_shapes(np.shape(x), np.shape(y))
    except ValueError:
        return
    with np.errstate(all="ignore"):
        assert_same_as_eager(combine, x, y)


@SETTINGS
@given(x=st.one_of(scalars, arrays_maybe_strided()), y=st.one_of(scalars, arrays_maybe_strided()))
def test_identity_structures_roundtrip(x, y):
    f = fj.function(reverse_pair)
    out = f(x, y)
    assert list(out) == ["b", "a"]
    for got, want in ((out["b"], y), (out["a"][0], x)):
        assert np.asarray(got).dtype == np.asarray(want).dtype
        np.testing.assert_array_equal(got, want)
        # Every 0-d result is a NumPy scalar (API.md), of the dtype NumPy gives the input.
        assert isinstance(got, np.ndarray) == (np.ndim(want) > 0)
        if np.ndim(want) == 0:
            assert isinstance(got, np.generic)
