"""Reductions and scans vs eager NumPy: axis (int, tuple, negative, None), keepdims, dtype,
empty arrays, NaN."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ops_support import DTYPES, any_array, check, trace

FAST = settings(max_examples=15, deadline=None)

REDUCTIONS = [np.sum, np.prod, np.mean, np.max, np.min, np.any, np.all, np.var, np.std,
              np.amax, np.amin]


@st.composite
def array_and_axis(draw, tuple_axes=True, dtypes=DTYPES):
    x = draw(any_array(dtypes))
    choices = [None] + list(range(-x.ndim, x.ndim))
    if tuple_axes and x.ndim:
        choices.append(tuple(draw(st.sets(st.integers(0, x.ndim - 1), max_size=x.ndim))))
        choices.append(draw(st.integers(-x.ndim - 1, x.ndim)))  # may be out of range
    return x, draw(st.sampled_from(choices)), draw(st.booleans())


@pytest.mark.parametrize("fn", REDUCTIONS, ids=lambda f: f.__name__)
@FAST
@given(case=array_and_axis())
def test_reduction(fn, case):
    x, axis, keepdims = case
    check(lambda a: fn(a, axis=axis, keepdims=keepdims), x)


@pytest.mark.parametrize("name", ["sum", "prod", "mean", "max", "min", "any", "all", "var",
                                  "std"])
@FAST
@given(case=array_and_axis(tuple_axes=False))
def test_reduction_method(name, case):
    x, axis, keepdims = case
    check(lambda a: getattr(a, name)(axis=axis, keepdims=keepdims), x)


@pytest.mark.parametrize("fn", [np.sum, np.prod, np.mean, np.cumsum, np.cumprod],
                         ids=lambda f: f.__name__)
@FAST
@given(x=any_array(), dtype=st.sampled_from(DTYPES))
def test_dtype_argument(fn, x, dtype):
    check(lambda a: fn(a, dtype=dtype), x)


@pytest.mark.parametrize("fn", [np.var, np.std])
@FAST
@given(case=array_and_axis(), ddof=st.sampled_from([0, 1, 2, 5]))
def test_var_std_ddof(fn, case, ddof):
    x, axis, keepdims = case
    check(lambda a: fn(a, axis=axis, ddof=ddof, keepdims=keepdims), x)
    check(lambda a: fn(a, axis=axis, ddof=ddof, dtype=np.float64), x)


@pytest.mark.parametrize("fn", [np.argmax, np.argmin])
@FAST
@given(case=array_and_axis(tuple_axes=False))
def test_argmax_argmin(fn, case):
    x, axis, keepdims = case
    check(lambda a: fn(a, axis=axis, keepdims=keepdims), x)
    check(lambda a: getattr(a, fn.__name__)(axis=axis), x)


def test_argmax_first_nan():
    check(lambda a: np.argmax(a), np.array([1.0, np.nan, 3.0, np.nan]))
    check(lambda a: np.argmin(a), np.array([np.nan, np.nan]))


@pytest.mark.parametrize("fn", [np.cumsum, np.cumprod])
@FAST
@given(case=array_and_axis(tuple_axes=False))
def test_scans(fn, case):
    x, axis, _ = case
    check(lambda a: fn(a, axis=axis), x)
    check(lambda a: getattr(a, fn.__name__)(axis=axis), x)


@pytest.mark.parametrize("fn, message", [
    (np.max, "zero-size array to reduction operation maximum which has no identity"),
    (np.min, "zero-size array to reduction operation minimum which has no identity"),
    (np.argmax, "attempt to get argmax of an empty sequence"),
])
def test_empty_reduction_errors_at_trace_time(fn, message):
    with pytest.raises(ValueError, match=message):
        trace(lambda a: fn(a), np.zeros((0, 3)))
    trace(lambda a: fn(a, axis=1), np.zeros((0, 3)))  # empty result: no error


@FAST
@given(case=array_and_axis(tuple_axes=False))
def test_ufunc_reduce(case):
    x, axis, keepdims = case
    for u in (np.add, np.multiply, np.maximum, np.minimum):
        check(lambda a: u.reduce(a, axis=axis, keepdims=keepdims), x)


def test_reductions_over_symbolic_axis():
    from flowjit.ir import interpreter, tracing, types as T
    n = T.Dim("n")
    r = tracing.trace(lambda a: (a.sum(axis=0), a.mean(axis=1), np.var(a, axis=0), a.argmax()),
                      [T.TensorType(np.float32, (n, 3))], lambda ts: (tuple(ts), {}), name="f")
    assert [str(v.type) for v in r.graph.outputs] == ["float32[3]", "float32[n]", "float32[3]",
                                                       "int64[]"]
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    outs = interpreter.run(r.graph, x)
    for got, want in zip(outs, (x.sum(axis=0), x.mean(axis=1), np.var(x, axis=0), x.argmax())):
        np.testing.assert_array_equal(got, want)


def test_unsupported_arguments():
    with pytest.raises(NotImplementedError):
        trace(lambda a: np.sum(a, where=a > 0), np.ones(3))
    with pytest.raises(NotImplementedError):
        trace(lambda a: np.max(a, initial=0.0), np.ones(3))
