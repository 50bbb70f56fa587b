"""matmul/dot/outer, creation functions and integer-array indexing vs eager NumPy."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from flowjit.ir import builder
from flowjit.ir.ops import creation as _creation
from ops_support import DTYPES, any_array, arrays, check, trace

FAST = settings(max_examples=20, deadline=None)


class _Creation:
    """`creation.f` while tracing, `np.f` eagerly (NumPy's creation functions do not dispatch
    to __array_function__, so the traced side calls flowjit's implementations directly)."""

    def __getattr__(self, name):
        return lambda *a, **k: (getattr(_creation, name) if builder.in_trace()
                                else getattr(np, name))(*a, **k)


creation = _Creation()
INTS = [np.dtype(np.int32), np.dtype(np.int64), np.dtype(np.bool_)]


@st.composite
def matmul_pair(draw, dtypes=DTYPES):
    n, k, m = (draw(st.integers(0, 3)) for _ in range(3))
    batch = tuple(draw(st.lists(st.integers(1, 2), max_size=2)))
    a_shape = draw(st.sampled_from([(k,), (n, k), batch + (n, k)]))
    b_shape = draw(st.sampled_from([(k,), (k, m), batch[-1:] + (k, m),
                                    (draw(st.integers(0, 4)), m)]))  # last may mismatch
    d1, d2 = draw(st.sampled_from(dtypes)), draw(st.sampled_from(dtypes))
    return draw(arrays(d1, shape=a_shape)), draw(arrays(d2, shape=b_shape))


@FAST
@given(pair=matmul_pair())
def test_matmul(pair):
    exact = all(x.dtype.kind != "f" for x in pair)
    check(lambda a, b: a @ b, *pair, exact=exact)
    check(lambda a, b: np.matmul(a, b), *pair, exact=exact)


@FAST
@given(pair=matmul_pair())
def test_dot(pair):
    exact = all(x.dtype.kind != "f" for x in pair)
    check(lambda a, b: np.dot(a, b), *pair, exact=exact)
    check(lambda a, b: a.dot(b), *pair, exact=exact)


@FAST
@given(x=any_array(max_side=3), y=any_array(max_side=3))
def test_outer_inner_vdot_scalar_dot(x, y):
    check(lambda a, b: np.outer(a, b), x, y)
    # Python scalars are strong in dot; NumPy's dot may turn -0.0 into 0.0 (not exact)
    check(lambda a: np.dot(a, 2.5), x, exact=x.dtype.kind != "f")
    if x.ndim == 1 and y.ndim == 1 and x.size == y.size and x.dtype.kind != "f" and \
            y.dtype.kind != "f":
        check(lambda a, b: np.inner(a, b), x, y)
        check(lambda a, b: np.vdot(a, b), x, y)


@FAST
@given(stop=st.integers(-2, 20), start=st.integers(-5, 5), step=st.sampled_from([1, 2, -1, 3]),
       dtype=st.sampled_from([None, np.int32, np.int64, np.float32, np.float64]))
def test_arange(stop, start, step, dtype):
    check(lambda a: creation.arange(start, stop, step, dtype=dtype) + a, np.zeros((), np.int32))
    check(lambda a: creation.arange(stop) * a, np.ones((), np.float32))


def test_arange_float_steps():
    for args in [(0.0, 1.0, 0.1), (1.5, -2.0, -0.25), (0, 5, 0.5)]:
        check(lambda a: creation.arange(*args) + a, np.zeros((), np.float64))
        check(lambda a: creation.arange(*args, dtype=np.float32) + a, np.zeros((), np.float32))


@FAST
@given(n=st.integers(0, 4), m=st.sampled_from([None, 0, 2, 5]), k=st.integers(-3, 3),
       dtype=st.sampled_from(DTYPES))
def test_eye_identity_like(n, m, k, dtype):
    check(lambda a: (creation.eye(n, m, k, dtype=dtype), creation.identity(n) + a),
          np.zeros((), np.float64))
    x = np.ones((n, 2), dtype)
    check(lambda a: (np.zeros_like(a), np.ones_like(a, dtype=np.float32),
                     np.full_like(a, 7), np.zeros_like(a, shape=(2, n))), x)
    assert trace(lambda a: np.empty_like(a), x).graph.outputs[0].type.shape == x.shape
    check(lambda a: (creation.zeros((n, 2)) + a, creation.ones(n, np.int32) + 1,
                     creation.full((2, n), 3.5)), x)


def test_symbolic_arange_and_zeros():
    from flowjit.ir import interpreter, tracing, types as T
    n = T.Dim("n")
    r = tracing.trace(lambda a: (creation.arange(a.shape[0]) * a, creation.zeros(a.shape)),
                      [T.TensorType(np.float32, (n,))], lambda ts: (tuple(ts), {}), name="f")
    assert [str(v.type) for v in r.graph.outputs] == ["float64[n]", "float64[n]"]
    r = tracing.trace(lambda a: creation.arange(a.shape[0]) * a,
                      [T.TensorType(np.float32, (n,))], lambda ts: (tuple(ts), {}), name="f")
    got = interpreter.run(r.graph, np.arange(4, dtype=np.float32))[0]
    np.testing.assert_array_equal(got, np.arange(4) * np.arange(4, dtype=np.float32))


INDEXES = [
    lambda i: i, lambda i: (slice(None), i), lambda i: (0, slice(None), i),
    lambda i: (Ellipsis, i), lambda i: (slice(1, None), i, 0), lambda i: (i, slice(None), 0),
    lambda i: (None, 0, i), lambda i: (i, None), lambda i: ([0, -1],), lambda i: (1, [2, 0]),
]


@pytest.mark.parametrize("k", range(len(INDEXES)))
@FAST
@given(x=any_array(min_dims=3, max_dims=3, min_side=1, max_side=3),
       idx=arrays(np.int64, shape=st.sampled_from([(2,), (2, 2), (0,), (1,)]),
                  min_dims=0).map(lambda a: np.clip(a, -4, 3)),
       idx_dtype=st.sampled_from([np.int32, np.int64]))
def test_integer_array_indexing(k, x, idx, idx_dtype):
    index = INDEXES[k]
    check(lambda a, i: a[index(i)], x, idx.astype(idx_dtype))


@FAST
@given(x=any_array(min_dims=1, max_side=3), idx=arrays(np.int64, shape=(3,)).map(
    lambda a: np.clip(a, -5, 5)), axis=st.sampled_from([None, 0, -1]))
def test_take(x, idx, axis):
    check(lambda a, i: np.take(a, i, axis=axis), x, idx)
    check(lambda a, i: a.take(i, axis=axis), x, idx)
    check(lambda a: np.take(a, 1, axis=axis), x)


def test_constant_index_out_of_bounds_at_trace_time():
    with pytest.raises(IndexError, match="index 5 is out of bounds for axis 0 with size 3"):
        trace(lambda a: a[[0, 5]], np.zeros(3))


def test_boolean_mask_indexing_is_refused():
    with pytest.raises(NotImplementedError, match="np.where"):
        trace(lambda a: a[a > 0], np.zeros(3))
