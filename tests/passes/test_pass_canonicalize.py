"""Canonicalization: exact identities rewrite to their operand (only without type change), and
loop-invariant carried values disappear; results unchanged."""

import numpy as np

from flowjit.ir.ops.control_flow import while_loop
from flowjit.ir.passes import Canonicalize, DeadCodeElimination

from pass_cases import CASES, F32, I32, I64, B, assert_equivalent, spec, trace

canon = Canonicalize().run


def canon_dce(graph):
    return DeadCodeElimination().run(canon(graph))


def test_identities_rewrite_to_the_operand():
    def f(x, b):
        return (x.astype(np.float32) * 1, 1 * -(-x), +x / 1,
                np.logical_not(np.logical_not(b)))
    graph = trace(f, spec(F32, 3), spec(B, 3))
    out = canon_dce(graph)
    assert out.op_counts() == {}
    assert_equivalent(graph, out)


def test_no_rewrite_when_the_type_changes():
    def f(x):
        return x * 1.0, x / 1, x.astype(np.int64), x * True
    graph = trace(f, spec(I32, 3))
    out = canon_dce(graph)
    assert out.op_counts() == graph.op_counts()
    assert_equivalent(graph, out)


def test_weak_to_strong_cast_is_kept():
    # A cast that changes only weakness changes promotion downstream, so it is not an identity:
    # int64(weak k) * int32 is int32 eagerly, but int64 once k is cast to a strong int64.
    def f(k):
        return (k + 1).astype(np.int64) * np.int32(3)
    graph = trace(f, spec(np.int64, weak=True))
    assert graph.op_counts()["astype"] == 1
    assert canon_dce(graph).op_counts()["astype"] == 1

def test_loop_invariant_carried_value_removed():
    def f(x, n):
        def body(k, y, z):
            return k + 1, y + z, z  # z never changes
        return while_loop(lambda k, y, z: k < n, body, (0, x, x * 2))
    graph = trace(f, spec(F32, 3), spec(I64, weak=True))
    out = canon(graph)
    (loop,) = [op for op in out.walk() if op.name == "while_loop"]
    assert len(loop.results) == 2 and len(out.outputs) == 3
    assert_equivalent(graph, out)


# -- algebraic rules added for issue #5 ---------------------------------------------------------

def test_additive_zeros_only_where_bit_exact():
    def f(x, i):
        return x + (-0.0), x - 0.0, i + 0, 0 + i, i - 0, x + 0.0, x - (-0.0)
    graph = trace(f, spec(np.float64, 5), spec(I64, 5))
    out = canon_dce(graph)
    # x + 0.0 and x - (-0.0) turn -0.0 into 0.0: they stay
    assert out.op_counts() == {"add": 1, "subtract": 1}
    assert_equivalent(graph, out)
    x = np.array([-0.0, 0.0, np.nan, -np.inf, 1.5])
    from flowjit.ir import interpreter
    for a, b in zip(interpreter.run(graph, x, np.arange(5)),
                    interpreter.run(out, x, np.arange(5))):
        assert np.array_equal(np.signbit(a), np.signbit(b))


def test_square_becomes_a_multiply_bit_for_bit():
    def f(x, y, i, k):
        return x ** 2, y ** 2.0, i ** 2, k ** 2, x ** 3
    graph = trace(f, spec(F32, 64), spec(np.float64, 64), spec(I32, 64),
                  spec(I64, weak=True))
    out = canon_dce(graph)
    assert out.op_counts() == {"multiply": 4, "power": 1}
    for op in out.walk():
        if op.name == "multiply" and op.results[0].type.weak:
            assert op.attrs.get("python")  # still overflow-checked as Python ints
    assert_equivalent(graph, out, n_inputs=20)
    rng = np.random.default_rng(0)
    x = rng.standard_normal(64).astype(np.float32) * 1e3
    assert np.array_equal(x ** 2, x * x) and np.array_equal(np.power(x, 2.0), x * x)


def test_integer_self_comparisons_fold():
    def f(i, x):
        return i == i, i < i, i >= i, i != i, x == x, x < x
    graph = trace(f, spec(I64), spec(np.float64))
    out = canon_dce(graph)
    assert out.op_counts() == {"equal": 1, "less": 1}   # floats: NaN != NaN
    assert_equivalent(graph, out)
