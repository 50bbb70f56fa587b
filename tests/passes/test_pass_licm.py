"""Loop-invariant code motion: invariant ops of `while_loop` regions move before the loop;
never ops with effects, ops that may raise, creation ops or ops of regions; results (and
errors, and printed text) unchanged."""

import numpy as np

from flowjit.ir.ops.control_flow import cond, while_loop
from flowjit.ir.ops.effects import print_
from flowjit.ir.passes import LoopInvariantCodeMotion, optimize

from pass_cases import F32, F64, I64, assert_equivalent, spec, trace

licm = LoopInvariantCodeMotion().run


def loop_ops(graph):
    (loop,) = [op for op in graph.body.ops if op.name == "while_loop"]
    return [o.name for r in loop.regions for o in r.ops]


def test_invariant_body_and_test_ops_move_out():
    def f(x, a, n):
        def test(i, y):
            return i < n * 2            # n * 2 is invariant (weak: test ops always run)
        def body(i, y):
            s = np.exp(a) + 1.0         # invariant chain
            return i + 1, y * s + np.sqrt(a)
        return while_loop(test, body, (0, x))
    graph = trace(f, spec(F64, 4), spec(F64, 4), spec(I64, weak=True))
    out = licm(graph)
    out.verify()
    assert loop_ops(out) == ["less", "add", "multiply", "add"]
    assert_equivalent(graph, out)


def test_ops_that_may_raise_or_print_stay_in_the_body():
    def f(x, k, n):
        def test(i, y):
            return i < n
        def body(i, y):
            q = k // 3                 # weak Python int: may overflow/raise -> stays
            print_(x)                  # effect -> stays
            m = np.max(x)              # static non-empty: may move
            return i + 1, y + q + m
        return while_loop(test, body, (0, x.sum()))
    graph = trace(f, spec(F64, 4), spec(I64, weak=True), spec(I64, weak=True))
    out = licm(graph)
    names = loop_ops(out)
    assert "floor_divide" in names and "print" in names and "max" not in names
    assert_equivalent(graph, out)


def test_zero_trip_loop_does_not_raise():
    # 7 // k raises ZeroDivisionError for k == 0 eagerly only if the body runs.
    def f(k, n):
        def body(i, y):
            return i + 1, y + 7 // k
        return while_loop(lambda i, y: i < n, body, (0, 0))
    graph = trace(f, spec(I64, weak=True), spec(I64, weak=True))
    out, _ = optimize(graph)
    assert "floor_divide" in loop_ops(out)
    from flowjit.ir import interpreter
    assert [int(v) for v in interpreter.run(out, 0, 0)] == [0, 0]


def test_nested_loops_and_conds():
    def f(x, a):
        def outer(i, y):
            def inner(j, z):
                w = np.tanh(a) * 2.0                  # invariant in both loops
                z2, = cond(j > 1, lambda: (z * w,), lambda: (z - w,))
                return j + 1, z2
            _, z = while_loop(lambda j, z: j < 3, inner, (0, y))
            return i + 1, z + np.cos(a)
        return while_loop(lambda i, y: i < 2, outer, (0, x))
    graph = trace(f, spec(F32, 3), spec(F32, 3))
    out = licm(licm(graph))
    out.verify()
    assert out.op_counts()["tanh"] == 1 and out.op_counts()["cos"] == 1
    top = [op.name for op in out.body.ops]
    assert "tanh" in top and "cos" in top
    assert_equivalent(graph, out)


def test_creation_ops_stay():
    def f(x, n):
        def body(i, y):
            z = np.zeros(4)
            return i + 1, y + z
        return while_loop(lambda i, y: i < n, body, (0, x))
    graph = trace(f, spec(F64, 4), spec(I64, weak=True))
    out = licm(graph)
    assert "constant" in loop_ops(out)
    assert_equivalent(graph, out)
