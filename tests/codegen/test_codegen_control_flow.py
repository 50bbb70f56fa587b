"""cond and while_loop compiled vs the interpreter: scalar loops (Collatz), array loops
(Newton), arrays crossing region boundaries, zero-trip loops, nesting."""

import numpy as np
import pytest

from codegen_support import Native, check, make_graph
from flowjit.ir import types as T
from flowjit.ir.ops.control_flow import cond, while_loop

I64 = T.TensorType(np.int64, ())


def collatz_steps(n):
    def body(n, steps):
        n = cond(n % 2 == 0, lambda: n // 2, lambda: 3 * n + 1)
        return n, steps + 1
    return while_loop(lambda n, s: n != 1, body, (n, 0))[1]


@pytest.mark.parametrize("n", [1, 2, 3, 6, 27, 97, 871, 77031])
def test_collatz(n):
    check(collatz_steps, [I64], np.int64(n))


def test_collatz_is_register_only():
    ir_text = Native(make_graph(collatz_steps, [I64])).compiled.llvm_ir
    assert "@malloc" not in ir_text and " alloca " not in ir_text


def newton_sqrt(x):
    def body(y, i):
        return y - (y * y - x) / (2 * y), i + 1
    return while_loop(lambda y, i: i < 30, body, (x, 0))[0]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [0, 1, 17, 1000])
def test_newton_array(dtype, n):
    x = np.linspace(1, 50, n).astype(dtype)
    check(newton_sqrt, [T.TensorType(dtype, (n,))], x)


def test_newton_converges_with_array_condition():
    def f(x):
        def test(y, i):
            err = np.max(np.abs(y * y - x))
            return np.logical_and(err > 1e-12, i < 100)

        def body(y, i):
            return 0.5 * (y + x / y), i + 1
        return while_loop(test, body, (x, 0))
    x = np.linspace(1, 10, 64)
    check(f, [T.TensorType(np.float64, (64,))], x)


@pytest.mark.parametrize("p", [True, False])
def test_cond_arrays_cross_boundary(p):
    def f(pred, x, y):
        return cond(pred, lambda: (x * 2, y), lambda: (x, y + 1.0))
    x = np.arange(6.0).reshape(2, 3)
    y = np.ones(3)
    check(f, [T.TensorType(np.bool_, ()), T.TensorType(np.float64, (2, 3)),
              T.TensorType(np.float64, (3,))], np.bool_(p), x, y)


def test_zero_trip_loop_returns_inputs():
    def f(x, n):
        return while_loop(lambda x, i: i < n, lambda x, i: (x + 1, i + 1), (x, 0))
    x = np.arange(4, dtype=np.int32)
    check(f, [T.TensorType(np.int32, (4,)), I64], x, np.int64(0))
    check(f, [T.TensorType(np.int32, (4,)), I64], x, np.int64(5))


def test_nested_loops_and_conds():
    def f(n):
        def outer(i, total):
            def inner(j, t):
                t = cond(j % 3 == 0, lambda: t + j, lambda: t - 1)
                return j + 1, t
            _, total = while_loop(lambda j, t: j < i, inner, (0, total))
            return i + 1, total
        return while_loop(lambda i, t: i < n, outer, (0, np.int64(0)))[1]
    for n in (0, 1, 5, 40):
        check(f, [I64], np.int64(n))


def test_loop_carrying_same_array_twice():
    def f(x):
        def body(a, b, i):
            return b, a * 2, i + 1
        return while_loop(lambda a, b, i: i < 3, body, (x, x, 0))
    check(f, [T.TensorType(np.float64, (5,))], np.arange(5.0))


def test_loop_yielding_outer_array_and_pass_through():
    def f(x, y):
        def body(a, b, c, i):
            return y, b, c + a, i + 1
        return while_loop(lambda a, b, c, i: i < 4, body, (x, x, x, 0))
    x, y = np.arange(3.0), np.full(3, 10.0)
    check(f, [T.TensorType(np.float64, (3,))] * 2, x, y)


def test_symbolic_dims():
    s = T.Dim("s0")
    def f(x):
        return while_loop(lambda y, i: i < 3, lambda y, i: (y * 1.5 + x, i + 1), (x, 0))[0]
    g = make_graph(f, [T.TensorType(np.float64, (s, 3))])
    n = Native(g)
    assert n.compiled.dims == (s,)
    for rows in (0, 1, 4):
        x = np.arange(rows * 3.0).reshape(rows, 3)
        from flowjit.ir import interpreter
        np.testing.assert_array_equal(n(x)[0], interpreter.run(g, x)[0])
