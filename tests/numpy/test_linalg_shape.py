"""matmul / dot / outer / inner / vdot / .T and the shape ops (reshape, transpose, swapaxes,
moveaxis, expand_dims, squeeze, ravel, flatten, concatenate, stack, broadcast_to, ...)
compiled vs eager NumPy, on random shapes including 0-size ones."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import flowjit as fj
from numpy_support import DTYPES, SETTINGS, arrays, assert_same_as_eager

_CACHE = {}


def _compiled(fn, specs):
    key = (fn.__name__, tuple(map(str, specs)))
    if key not in _CACHE:
        _CACHE[key] = fj.function(fn, input_signature=specs)
    return _CACHE[key]


def products(a, b, v):
    """a (n, k), b (k, m), v (k,)."""
    return (a @ b, np.matmul(a, b), np.dot(a, b), a @ v, v @ b, np.dot(v, v), b.T @ a.T,
            np.outer(v, v), np.inner(a, a), np.vdot(v, v), a.T, a.dot(b))


def _matmul_tol(dt):
    # Sums of products in another order than NumPy's BLAS: a tolerance, not ulps.
    return {"ulps": 64, "atol": 1e-3 if dt == np.float32 else 1e-10}


@pytest.mark.parametrize("dt", DTYPES, ids=str)
@SETTINGS
@given(data=st.data())
def test_products(dt, data):
    n, k, m = (data.draw(st.integers(0, 5)) for _ in range(3))
    elems = st.integers(-5, 5) if dt.kind != "f" else st.floats(-4, 4, width=dt.itemsize * 8)
    if dt.kind == "b":
        elems = st.booleans()
    from hypothesis.extra import numpy as hnp
    a = data.draw(hnp.arrays(dt, (n, k), elements=elems))
    b = data.draw(hnp.arrays(dt, (k, m), elements=elems))
    v = data.draw(hnp.arrays(dt, (k,), elements=elems))
    compiled = _compiled(products, [fj.TensorSpec((None, "k"), dt),
                                    fj.TensorSpec(("k", None), dt), fj.TensorSpec(("k",), dt)])
    assert_same_as_eager(products, a, b, v, compiled=compiled, **_matmul_tol(dt))
    assert compiled.trace_count == 1


def test_batched_matmul_and_mismatch():
    def f(a, b):
        return a @ b, np.matmul(a[0], b), np.dot(a, b[0])

    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 2, 4)), rng.standard_normal((3, 4, 5))
    assert_same_as_eager(f, a, b, **_matmul_tol(np.float64))
    assert_same_as_eager(f, a, rng.standard_normal((3, 3, 5)))  # ValueError, as eagerly


def shape_ops(x):
    """x: (2, 3, 4)."""
    return (x.reshape(6, 4), x.reshape(-1), np.reshape(x, (4, -1)), x.reshape(2, 12),
            np.transpose(x), x.transpose(1, 0, 2), np.transpose(x, (2, 0, 1)),
            np.swapaxes(x, 0, 2), x.swapaxes(-1, 1), np.moveaxis(x, 0, -1),
            np.expand_dims(x, 0), np.expand_dims(x, (1, -1)), x[:, :1].squeeze(),
            np.squeeze(x[:1], axis=0), x.ravel(), np.ravel(x), x.flatten(),
            np.concatenate([x, x * 2], axis=1), np.concatenate([x, x[:1]]),
            np.concatenate([x, x], axis=-1), np.stack([x, x + 1]), np.stack([x, x], axis=-1),
            np.broadcast_to(x[:, :1, :], (2, 3, 4)), np.broadcast_to(x[0, 0, 0], (3, 2)),
            np.broadcast_to(x, (5, 2, 3, 4)), np.atleast_2d(x[0, 0]), np.vstack([x[0], x[1]]),
            np.hstack([x[0], x[1]]), x.T)


@pytest.mark.parametrize("dt", DTYPES, ids=str)
def test_shape_ops(dt):
    x = np.arange(24).reshape(2, 3, 4).astype(dt)
    assert_same_as_eager(shape_ops, x)


@pytest.mark.parametrize("fn", [
    lambda x: x.reshape(5, 5), lambda x: x.reshape(-1, 5), lambda x: np.squeeze(x, axis=0),
    lambda x: np.transpose(x, (0, 0, 1)), lambda x: np.concatenate([x, x[0]]),
    lambda x: np.stack([x, x[:1]]), lambda x: np.broadcast_to(x, (3, 3)),
    lambda x: np.swapaxes(x, 0, 3), lambda x: np.expand_dims(x, 4),
], ids=range(9))
def test_invalid_shape_ops_raise_as_numpy(fn):
    assert_same_as_eager(fn, np.ones((2, 3, 4)), fj_kwargs={"autograph": False})


@settings(SETTINGS, max_examples=6)
@given(data=st.data())
def test_broadcasting_pairs(data):
    """Static shapes (a compile per example): NumPy's broadcasting of two random shapes.
    (0-d operands are left out: np.where gives a 0-d array eagerly, and compiled functions
    return 0-d results as NumPy scalars, API.md.)"""
    from hypothesis.extra import numpy as hnp
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=3,
                                                         max_side=3))
    a = data.draw(arrays(np.float64, shapes.input_shapes[0]))
    b = data.draw(arrays(np.int32, shapes.input_shapes[1]))

    def f(a, b):
        return a + b, np.where(a > 0, a, b), np.maximum(a, b), np.broadcast_to(b, shapes.result_shape)

    assert_same_as_eager(f, a, b)


def test_empty_arrays():
    def f(x):
        return x.reshape(0, 5), x.T, np.concatenate([x, x]), x.sum(axis=0), x @ x.T

    assert_same_as_eager(f, np.ones((0, 3)))
    assert_same_as_eager(f, np.ones((3, 0)))
