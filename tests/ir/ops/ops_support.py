"""Differential testing of op families: trace a function, run the reference interpreter, and
compare with eager NumPy (values, NaN positions, signed zeros, dtype, shape, exception type)."""

from __future__ import annotations

import warnings

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from flowjit.ir import interpreter, tracing
from flowjit.ir import types as T

DTYPES = [np.dtype(d) for d in (np.bool_, np.int32, np.int64, np.float32, np.float64)]
NUMERIC = DTYPES[1:]
FLOATS = DTYPES[3:]

#: Op names seen in graphs traced by these tests (checked by test_zz_coverage.py).
SEEN_OPS: set[str] = set()


def elements(dtype: np.dtype):
    """Values including NaN, +-inf, -0.0 and integer extremes."""
    if dtype.kind == "b":
        return st.booleans()
    if dtype.kind == "i":
        info = np.iinfo(dtype)
        return st.one_of(st.integers(-8, 8), st.sampled_from([int(info.min), int(info.max)]),
                         st.integers(int(info.min), int(info.max)))
    width = 32 if dtype == np.float32 else 64
    return st.one_of(st.floats(-10, 10, width=width),
                     st.sampled_from([0.0, -0.0, np.inf, -np.inf, np.nan, 0.5, 2.5, -1.5]),
                     st.floats(width=width, allow_nan=True, allow_infinity=True))


def arrays(dtype, shape=None, min_dims=0, max_dims=3, min_side=0, max_side=4):
    dtype = np.dtype(dtype)
    shape = shape if shape is not None else hnp.array_shapes(
        min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)
    return hnp.arrays(dtype, shape, elements=elements(dtype))


def any_array(dtypes=DTYPES, **kw):
    return st.sampled_from(dtypes).flatmap(lambda d: arrays(d, **kw))


def trace(fn, *args, types=None):
    types = types or [T.TensorType(np.asarray(a).dtype, np.shape(a)) for a in args]
    result = tracing.trace(fn, types, lambda ts: (tuple(ts), {}), name="f")
    for op in result.graph.walk():
        SEEN_OPS.add(op.name)
    return result


def run_traced(fn, *args):
    result = trace(fn, *args)
    outs = interpreter.run(result.graph, *[np.asarray(a) for a in args])
    return outs[0] if result.num_outputs == 1 and not isinstance(
        result.out_treedef, tuple) else outs


def eager(fn, *args):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return fn(*[np.array(a, copy=True) for a in args])


def assert_same(actual, expected, exact=True):
    a, e = np.asarray(actual), np.asarray(expected)
    assert a.dtype == e.dtype, f"dtype {a.dtype} != eager {e.dtype}"
    assert a.shape == e.shape, f"shape {a.shape} != eager {e.shape}"
    if exact or e.dtype.kind != "f":
        np.testing.assert_array_equal(a, e)
        if e.dtype.kind == "f":
            both = ~np.isnan(a) & ~np.isnan(e)
            np.testing.assert_array_equal(np.signbit(a)[both], np.signbit(e)[both],
                                          err_msg="signed zeros differ")
    else:
        np.testing.assert_allclose(a, e, rtol=1e-5 if e.dtype == np.float32 else 1e-12,
                                   atol=1e-6, equal_nan=True)


def check(fn, *args, exact=True):
    """Eager vs traced+interpreted: the same exception type, or the same outputs."""
    try:
        expected = eager(fn, *args)
    except Exception as exc:  # noqa: BLE001 -- the point is to compare exception types
        try:
            result = trace(fn, *args)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                interpreter.run(result.graph, *[np.asarray(a) for a in args])
        except type(exc):
            return
        except Exception as other:  # noqa: BLE001
            raise AssertionError(f"eager raised {exc!r}, traced raised {other!r}") from other
        raise AssertionError(f"eager raised {exc!r}, traced did not")
    leaves = expected if isinstance(expected, (tuple, list)) else (expected,)
    if any(np.asarray(x).dtype not in T.SUPPORTED_DTYPES for x in leaves):
        # e.g. np.exp(bool) -> float16: flowjit refuses instead of computing another dtype.
        try:
            trace(fn, *args)
        except NotImplementedError:
            return
        raise AssertionError("eager gives an unsupported dtype, traced did not refuse")
    result = trace(fn, *args)
    outs = interpreter.run(result.graph, *[np.asarray(a) for a in args])
    leaves = expected if isinstance(expected, (tuple, list)) else (expected,)
    assert len(leaves) <= len(outs)
    for got, want in zip(outs, leaves):
        assert_same(got, want, exact=exact)
    return result
