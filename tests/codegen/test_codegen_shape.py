"""Shape ops (reshape, transpose, broadcast_to, concatenate, arange, dim) and the reductions
prod/any/all vs the interpreter."""

import numpy as np
import pytest

from codegen_support import Native, check, make_graph, run_both
from flowjit.ir import interpreter
from flowjit.ir import types as T
from flowjit.ir.ops.control_flow import cond

X = np.arange(24, dtype=np.int32).reshape(2, 3, 4)
XT = T.TensorType(np.int32, (2, 3, 4))


@pytest.mark.parametrize("fn", [
    lambda x: x.reshape(6, 4), lambda x: x.reshape(-1), lambda x: (x + 1).reshape(4, 6) * 2,
    lambda x: np.transpose(x), lambda x: np.transpose(x, (1, 0, 2)) + 0,
    lambda x: np.broadcast_to(x[:, :1, :], (2, 3, 4)), lambda x: np.broadcast_to(x[0, 0, 0], (3, 2)),
    lambda x: np.concatenate([x, x * 2], axis=1), lambda x: np.concatenate([x, x[:1]], axis=0),
    lambda x: np.concatenate([x, x.astype(np.float32)], axis=2),
    lambda x: x.reshape(24)[5], lambda x: (x.reshape(1, 24), x),
], ids=range(12))
def test_shape_ops(fn):
    check(fn, [XT], X)


@pytest.mark.parametrize("args", [(5,), (2, 11, 3), (10, 0, -3), (0.5, 3.0, 0.25), (0,)])
@pytest.mark.parametrize("dtype", [None, np.float32, np.int32])
def test_arange(args, dtype):
    check(lambda x: np.arange(*args, dtype=dtype) + x, [T.TensorType(np.int64, ())], np.int64(1))


def test_symbolic_reshape_and_dim():
    n = T.Dim("n")
    g = make_graph(lambda x: (x.reshape(x.shape[0], 1, 3) * 2, x.shape[0] + 0),
                   [T.TensorType(np.float64, (n, 3))])
    x = np.arange(12.0).reshape(4, 3)
    got = Native(g)(x)
    np.testing.assert_array_equal(got[0], x.reshape(4, 1, 3) * 2)
    assert got[1] == 4


def test_reshape_shares_a_dead_buffer_but_not_a_live_one():
    def f(x):
        y = (x + 1).reshape(24)        # x + 1 is dead after: shared
        z = x.reshape(4, 6)            # x is an input: shared
        w = cond(x[0, 0, 0] > 0, lambda: z, lambda: z * 2)   # leaves the branch as a copy
        return y, z, w
    check(f, [XT], X)
    check(f, [XT], X - 1)


@pytest.mark.parametrize("name", ["prod", "any", "all"])
@pytest.mark.parametrize("dtype", [np.bool_, np.int32, np.int64, np.float32, np.float64],
                         ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("axis", [None, 0, 1, (0, 1)])
def test_prod_any_all(name, dtype, axis):
    rng = np.random.default_rng(0)
    x = (rng.integers(-3, 4, (5, 7))).astype(dtype)
    if np.dtype(dtype).kind == "f":
        x[1, 2] = np.nan
    check(lambda a: getattr(np, name)(a, axis=axis), [T.TensorType(dtype, x.shape)], x,
          rtol=1e-6 if dtype == np.float32 else 0)


F = np.array([[1.0, np.nan, 3.0, 3.0], [5.0, 1.0, 5.0, -1.0], [0.0, 0.0, np.nan, np.nan]])


@pytest.mark.parametrize("fn", [
    lambda a: np.argmax(a), lambda a: np.argmax(a, axis=1), lambda a: np.argmin(a, axis=0),
    lambda a: np.argmin(a, axis=1, keepdims=True), lambda a: np.cumsum(a, axis=1),
    lambda a: np.cumprod(a, axis=0), lambda a: np.cumsum(a),
], ids=range(7))
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int32, np.bool_],
                         ids=lambda d: np.dtype(d).name)
def test_arg_extrema_and_scans(fn, dtype):
    x = F.astype(dtype) if np.dtype(dtype).kind == "f" else np.nan_to_num(F).astype(dtype)
    check(fn, [T.TensorType(dtype, x.shape)], x)


@pytest.mark.parametrize("sa,sb", [((3, 4), (4, 5)), ((4,), (4, 5)), ((3, 4), (4,)),
                                   ((4,), (4,)), ((2, 3, 4), (4, 2)), ((2, 1, 3, 4), (5, 4, 2)),
                                   ((0, 4), (4, 3)), ((3, 0), (0, 2))], ids=str)
@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.float64, np.float32, np.bool_],
                         ids=lambda d: np.dtype(d).name)
def test_matmul(sa, sb, dtype):
    rng = np.random.default_rng(0)
    a = (rng.standard_normal(sa) * 3).astype(dtype)
    b = (rng.standard_normal(sb) * 3).astype(dtype)
    check(lambda x, y: x @ y, [T.TensorType(dtype, sa), T.TensorType(dtype, sb)], a, b,
          rtol=1e-5 if dtype == np.float32 else 1e-12)


def test_take_and_bounds():
    x = np.arange(12.0).reshape(3, 4)
    check(lambda a, i: a[i], [T.TensorType(np.float64, (3, 4)), T.TensorType(np.int64, (5,))],
          x, np.array([0, 2, -1, 1, 0]))
    check(lambda a, i: a[:, i], [T.TensorType(np.float64, (3, 4)),
                                 T.TensorType(np.int32, (2, 2))], x,
          np.array([[0, 3], [-4, 1]], np.int32))
    g = make_graph(lambda a, i: a[i], [T.TensorType(np.float64, (3, 4)),
                                       T.TensorType(np.int64, (2,))])
    with pytest.raises(IndexError, match="index 3 is out of bounds for axis 0 with size 3"):
        Native(g)(x, np.array([0, 3]))
