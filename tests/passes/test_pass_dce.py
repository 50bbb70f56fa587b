"""Dead code elimination: dead ops go, effects stay, unused cond outputs and while carried values
are pruned (MLIR WhileUnusedResult), results unchanged."""

import numpy as np

from flowjit.ir import tracing
from flowjit.ir.ops.control_flow import cond, while_loop
from flowjit.ir.ops.effects import assert_, print_
from flowjit.ir.passes import DeadCodeElimination

from pass_cases import CASES, F32, F64, I64, assert_equivalent, spec, trace

dce = DeadCodeElimination().run


def ops_named(graph, name):
    return [op for op in graph.walk() if op.name == name]


def test_removes_dead_ops_keeps_print_and_assert():
    graph = trace(*[CASES["effects"][0]], *CASES["effects"][1])
    out = dce(graph)
    before, after = graph.op_counts(), out.op_counts()
    assert before["multiply"] == 2 and after["multiply"] == 1  # `unused = x * 5` is gone
    assert after["print"] == 2 and after["assert"] == 1
    assert_equivalent(graph, out)


def test_dead_chain_removed_entirely():
    def f(x):
        a = np.exp(x)
        b = np.sqrt(a) * 3  # noqa: F841
        return x + 1
    out = dce(trace(f, spec(F32, 4)))
    assert out.op_counts() == {"add": 1}


def test_unused_cond_output_dropped():
    graph = trace(*[CASES["branches"][0]], *CASES["branches"][1])
    out = dce(graph)
    (c,) = ops_named(out, "cond")
    assert len(c.results) == 1 and all(len(r.yields) == 1 for r in c.regions)
    assert "multiply" in out.op_counts() and out.op_counts()["multiply"] == 2  # s * 3 is gone
    assert_equivalent(graph, out)


def test_cond_with_effect_kept_without_outputs():
    def f(x):
        def then():
            print_("positive", x)
            return x + 1
        cond(x.sum() > 0, then, lambda: x - 1)
        return x
    out = dce(trace(f, spec(F32, 2)))
    (c,) = ops_named(out, "cond")
    assert len(c.results) == 0 and out.op_counts()["print"] == 1
    assert "add" not in out.op_counts() and "subtract" not in out.op_counts()


def test_dead_cond_removed():
    def f(x):
        cond(x.sum() > 0, lambda: x + 1, lambda: x - 1)
        return x * 2
    assert dce(trace(f, spec(F32, 2))).op_counts() == {"multiply": 1}


def test_unused_carried_value_removed():
    graph = trace(*[CASES["loop"][0]], *CASES["loop"][1])
    out = dce(graph)
    (loop,) = ops_named(out, "while_loop")
    assert len(loop.results) == 2  # i (read by the test) and acc; `unused` is gone
    assert all(len(r.args) == 2 for r in loop.regions)
    assert_equivalent(graph, out)


def test_carried_value_read_by_other_carried_value_kept():
    def f(x):
        def body(i, a, b, c):
            return i + 1, a + b, b * 2, c - 1
        _, a, _, _ = while_loop(lambda i, a, b, c: i < 4, body, (0, x, x + 1, x))
        return a
    graph = trace(f, spec(F64, 3))
    out = dce(graph)
    (loop,) = ops_named(out, "while_loop")
    assert len(loop.results) == 3  # i: test; a: used; b: feeds a; c: dropped
    assert_equivalent(graph, out)


def test_carried_value_read_by_test_kept():
    def f(x, n):
        _, y = while_loop(lambda k, y: k < n, lambda k, y: (k + 1, y * 2), (0, x))
        return y
    graph = trace(f, spec(F32, 2), spec(I64, weak=True))
    (loop,) = ops_named(dce(graph), "while_loop")
    assert len(loop.results) == 2


def test_dead_loop_removed_but_loop_with_print_kept():
    def dead(x):
        while_loop(lambda k, y: k < 3, lambda k, y: (k + 1, y * 2), (0, x))
        return x

    def printing(x):
        def body(k):
            print_("k", k)
            return (k + 1,)
        while_loop(lambda k: k < 3, body, (0,))
        return x

    assert dce(trace(dead, spec(F32, 2))).op_counts() == {}
    graph = trace(printing, spec(F32, 2))
    out = dce(graph)
    assert out.op_counts()["while_loop"] == 1 and out.op_counts()["print"] == 1
    assert_equivalent(graph, out)


def test_nested_loop_carried_values_pruned():
    def f(x):
        def outer(i, acc, junk):
            _, acc2, _ = while_loop(lambda j, a, z: j < 2,
                                    lambda j, a, z: (j + 1, a + x, z * 3), (0, acc, junk))
            return i + 1, acc2, junk + 1
        _, acc, _ = while_loop(lambda i, a, z: i < 3, outer, (0, x, x))
        return acc
    graph = trace(f, spec(F32, 3))
    out = dce(graph)
    loops = ops_named(out, "while_loop")
    assert [len(op.results) for op in loops] == [2, 2]
    assert_equivalent(graph, out)


def test_ops_that_may_raise_are_kept():
    def f(x, k, n):
        x[k]  # dead, but raises IndexError eagerly when k is out of bounds
        x[1]  # dead and cannot raise
        tracing.apply("floor_divide", n, 0, python=True)  # dead, raises ZeroDivisionError
        return x * 2
    graph = trace(f, spec(F32, 3), spec(I64), spec(I64, weak=True))
    out = dce(graph)
    assert out.op_counts() == {"getitem": 1, "floor_divide": 1, "multiply": 1}
    assert_equivalent(graph, out)


def test_in_place_updates_kept():
    graph = trace(*[CASES["in_place"][0]], *CASES["in_place"][1])
    out = dce(graph)
    assert out.op_counts()["setitem"] == 2
    assert_equivalent(graph, out, n_inputs=10)


def test_assert_in_loop_keeps_loop():
    def f(x):
        def body(k):
            assert_(k < 10, "k")
            return (k + 1,)
        while_loop(lambda k: k < 3, body, (0,))
        return x
    assert dce(trace(f, spec(F32, 2))).op_counts()["assert"] == 1
