"""Shape functions (reshape, transpose, concatenate, ...) vs eager NumPy, and symbolic shapes."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from flowjit.ir import interpreter, tracing, types as T
from ops_support import any_array, arrays, check, trace

FAST = settings(max_examples=15, deadline=None)


@st.composite
def array_and_newshape(draw):
    x = draw(any_array(max_side=3))
    dims = list(x.shape)
    # a random factorization-preserving new shape: permute, merge neighbours, insert 1s, -1
    draw(st.randoms()).shuffle(dims)
    new = []
    for d in dims:
        if new and draw(st.booleans()):
            new[-1] *= d
        else:
            new.append(d)
    if draw(st.booleans()):
        new.insert(draw(st.integers(0, len(new))), 1)
    if new and draw(st.booleans()) and x.size:
        new[draw(st.integers(0, len(new) - 1))] = -1
    if draw(st.integers(0, 9)) == 0:
        new.append(draw(st.integers(2, 3)))  # usually invalid
    return x, tuple(new)


@FAST
@given(case=array_and_newshape())
def test_reshape(case):
    x, shape = case
    check(lambda a: np.reshape(a, shape), x)
    check(lambda a: a.reshape(shape), x)
    check(lambda a: a.reshape(*shape) if shape else a.reshape(()), x)


@FAST
@given(x=any_array(), data=st.data())
def test_transpose_family(x, data):
    perm = data.draw(st.permutations(range(x.ndim)))
    check(lambda a: np.transpose(a), x)
    check(lambda a: np.transpose(a, perm), x)
    check(lambda a: a.T, x)
    check(lambda a: a.transpose(*perm) if perm else a.transpose(), x)
    if x.ndim:
        i, j = data.draw(st.integers(-x.ndim, x.ndim - 1)), data.draw(st.integers(0, x.ndim))
        check(lambda a: np.swapaxes(a, i, j), x)
        check(lambda a: a.swapaxes(i, j), x)
        check(lambda a: np.moveaxis(a, i, j), x)


@FAST
@given(x=any_array(max_side=2), axis=st.integers(-4, 4))
def test_expand_squeeze_ravel(x, axis):
    check(lambda a: np.expand_dims(a, axis), x)
    check(lambda a: np.squeeze(a), x)
    check(lambda a: a.squeeze(), x)
    check(lambda a: np.squeeze(a, axis), x)
    check(lambda a: np.ravel(a), x)
    check(lambda a: a.ravel(), x)
    check(lambda a: a.flatten(), x)
    check(lambda a: np.atleast_1d(a), x)
    check(lambda a: np.atleast_2d(a), x)
    check(lambda a: np.copy(a), x)
    check(lambda a: (np.ndim(a), np.size(a)) + np.shape(a), x)


def test_flatten_copies_and_reshape_is_a_view():
    def f(a):
        flat = a.flatten()
        flat[0] = 100.0
        same = a.reshape(a.shape)
        same[1] = 7.0
        return a, flat

    check(f, np.arange(3.0))


@FAST
@given(x=any_array(min_dims=1, max_side=3), y=any_array(min_dims=1, max_side=3),
       axis=st.sampled_from([None, 0, 1, -1, 2]))
def test_concatenate_and_stack(x, y, axis):
    check(lambda a, b: np.concatenate([a, b], axis=axis), x, y)
    check(lambda a, b: np.concatenate((a, b, a), axis=axis), x, y)
    check(lambda a, b: np.stack([a, b], axis=axis if axis is not None else 0), x, y)
    check(lambda a, b: np.vstack([a, b]), x, y)
    check(lambda a, b: np.hstack([a, b]), x, y)
    check(lambda a, b: np.concatenate([a, b], axis=0, dtype=np.float64), x, y)


@FAST
@given(x=any_array(max_side=3), data=st.data())
def test_broadcast_to(x, data):
    shape = data.draw(st.lists(st.integers(0, 3), max_size=4).map(tuple))
    extra = data.draw(st.lists(st.integers(1, 3), max_size=2).map(tuple))
    check(lambda a: np.broadcast_to(a, shape), x)
    check(lambda a: np.broadcast_to(a, extra + x.shape), x)
    check(lambda a: np.broadcast_arrays(a, np.zeros(extra + (1,) * x.ndim)), x)


def _symbolic(fn, shape, dtype=np.float32):
    return tracing.trace(fn, [T.TensorType(dtype, shape)], lambda ts: (tuple(ts), {}),
                         name="f")


def test_symbolic_shapes():
    n = T.Dim("n")
    r = _symbolic(lambda a: (a.reshape(-1, 3), a.reshape(n_of(a), 1, 3), a.T,
                             np.expand_dims(a, 0).squeeze(0), a[:, None, :].reshape(-1, 3),
                             np.concatenate([a, a], axis=1), np.broadcast_to(a[0], a.shape)),
                  (n, 3))
    types = [str(v.type) for v in r.graph.outputs]
    assert types == ["float32[n,3]", "float32[n,1,3]", "float32[3,n]", "float32[n,3]",
                     "float32[n,3]", "float32[n,6]", "float32[n,3]"]
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    outs = interpreter.run(r.graph, x)
    for got, want in zip(outs[:6], (x, x.reshape(4, 1, 3), x.T, x, x, np.hstack([x, x]))):
        np.testing.assert_array_equal(got, want)


def n_of(a):
    return a.shape[0]


def test_dim_op():
    n = T.Dim("n")
    r = _symbolic(lambda a: (a.shape[0], a.shape[1], a.shape[0] * 2 + a.shape[1], len(a.T)),
                  (n, 3))
    assert "dim" in r.graph.op_counts()
    assert r.graph.outputs[0].type == T.TensorType(np.int64, (), weak=True)
    assert interpreter.run(r.graph, np.zeros((5, 3), np.float32)) == [5, 3, 13, 3]


def test_symbolic_reshape_and_concatenate_give_dimension_expressions():
    n = T.Dim("n")
    assert _symbolic(lambda a: a.reshape(-1), (n, 3)).graph.outputs[0].type.shape == (3 * n,)
    r = _symbolic(lambda a: np.concatenate([a, a]), (n, 3))
    assert r.graph.outputs[0].type.shape == (2 * n, 3)
    assert interpreter.run(r.graph, np.zeros((5, 3), np.float32))[0].shape == (10, 3)
    with pytest.raises(ValueError):
        _symbolic(lambda a: a + np.zeros((4, 3), np.float32), (n, 3))
