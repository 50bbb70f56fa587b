"""Common subexpression elimination: duplicates merge (commutative operands in any order,
equal literals and array attributes), effects never merge, scopes follow region nesting."""

import numpy as np

from flowjit.ir import tracing
from flowjit.ir.ops.control_flow import cond, while_loop
from flowjit.ir.ops.effects import assert_, print_
from flowjit.ir.passes import CommonSubexpressionElimination, DeadCodeElimination

from pass_cases import CASES, F32, I32, I64, assert_equivalent, spec, trace

cse = CommonSubexpressionElimination().run


def cse_dce(graph):
    return DeadCodeElimination().run(cse(graph))


def test_duplicates_merge():
    graph = trace(*[CASES["dead_and_duplicates"][0]], *CASES["dead_and_duplicates"][1])
    out = cse_dce(graph)
    assert out.op_counts() == {"add": 1, "multiply": 1, "subtract": 1}
    assert_equivalent(graph, out)


def test_commutative_operands_merge_others_do_not():
    def f(x, y):
        return x * y, y * x, x - y, y - x, np.maximum(x, y), np.maximum(y, x)
    graph = trace(f, spec(F32, 3), spec(F32, 3))
    out = cse_dce(graph)
    assert out.op_counts() == {"multiply": 1, "subtract": 2, "maximum": 1}
    assert_equivalent(graph, out)


def test_literals_compare_by_dtype_weakness_and_bits():
    def f(x):
        return x + 0.0, x + (-0.0), x + 1, x + 1.0, x + np.float32(1), x + 1
    graph = trace(f, spec(F32, 3))
    out = cse_dce(graph)
    # 0.0 / -0.0 differ in bits; 1 (weak int), 1.0 (weak float), float32(1) differ in type;
    # the two `x + 1` merge.
    assert out.op_counts() == {"add": 5}
    assert_equivalent(graph, out)


def test_array_attributes_compare_by_value():
    def f(x):
        a = tracing.constant(np.arange(3, dtype=np.int32))
        b = tracing.constant(np.arange(3, dtype=np.int32))
        c = tracing.constant(np.arange(3, dtype=np.int64))
        return x + a, x + b, x + c
    graph = trace(f, spec(I32, 3))
    out = cse_dce(graph)
    assert out.op_counts() == {"constant": 2, "add": 2}
    assert_equivalent(graph, out)


def test_different_attributes_do_not_merge():
    def f(x):
        return x.sum(axis=0), x.sum(axis=1), x.sum(axis=0), x.astype(np.float32), \
            x.astype(np.int64)
    graph = trace(f, spec(I32, 2, 3))
    out = cse_dce(graph)
    assert out.op_counts() == {"sum": 2, "astype": 2}


def test_effects_never_merge():
    def f(x):
        print_("x", x)
        print_("x", x)
        assert_(x.sum() > -100, "m")
        assert_(x.sum() > -100, "m")
        return x
    graph = trace(f, spec(F32, 2))
    out = cse_dce(graph)
    assert out.op_counts() == {"print": 2, "assert": 2, "sum": 1, "greater": 1}
    assert_equivalent(graph, out)


def test_outer_value_reused_inside_regions():
    def f(x):
        y = x * 2
        z = cond(x.sum() > 0, lambda: x * 2 + 1, lambda: x * 2 - 1)
        return y + z
    graph = trace(f, spec(F32, 3))
    out = cse_dce(graph)
    assert out.op_counts()["multiply"] == 1
    assert_equivalent(graph, out)


def test_inner_values_not_reused_across_or_out_of_regions():
    def f(x):
        z = cond(x.sum() > 0, lambda: np.exp(x), lambda: np.exp(x) * 2)
        return z + np.exp(x)
    graph = trace(f, spec(F32, 3))
    out = cse_dce(graph)
    assert out.op_counts()["exp"] == 3  # then, else and after: none dominates another
    assert_equivalent(graph, out)


def test_loop_body_reuses_outer_value():
    def f(x, n):
        w = np.exp(x)
        def body(k, y):
            return k + 1, y + np.exp(x)
        return while_loop(lambda k, y: k < n, body, (0, w))[1]
    graph = trace(f, spec(F32, 3), spec(I64, weak=True))
    out = cse_dce(graph)
    assert out.op_counts()["exp"] == 1
    assert_equivalent(graph, out)
