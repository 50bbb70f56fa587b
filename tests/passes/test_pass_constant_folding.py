"""Constant folding: literal and constant-array arithmetic becomes literals/constants with exact
dtypes; what raises at run time is left alone; conds on literal predicates are inlined."""

import numpy as np
import pytest

from flowjit.ir import Literal, tracing
from flowjit.ir.ops.control_flow import cond, while_loop
from flowjit.ir.passes import ConstantFolding, DeadCodeElimination

from pass_cases import CASES, F32, F64, I32, I64, assert_equivalent, evaluate, spec, trace

fold = ConstantFolding().run
apply = tracing.apply


def folded_output(fn):
    """The graph output of `fn()` (no inputs) after folding; must be a Literal."""
    out = fold(trace(lambda: fn()))
    (v,) = out.outputs
    assert isinstance(v, Literal), str(out)
    assert out.op_counts() == {}
    return v


def test_float32_times_3_becomes_literal():
    graph = trace(*[CASES["literal_math"][0]], *CASES["literal_math"][1])
    out = fold(graph)
    assert out.op_counts() == {"multiply": 1, "add": 1}
    (mul,) = [op for op in out.walk() if op.name == "multiply"]
    lit = mul.operands[1]
    assert isinstance(lit, Literal) and lit.value == 6.0 and lit.type == spec(F32)
    assert_equivalent(graph, out)


@pytest.mark.parametrize("make, value, dtype, weak", [
    (lambda: apply("multiply", np.float32(2), 3), 6.0, F32, False),
    (lambda: apply("add", np.int32(2**31 - 1), np.int32(1)), -2**31, I32, False),  # wraps
    (lambda: apply("floor_divide", np.int32(7), np.int32(0)), 0, I32, False),  # NumPy: 0
    (lambda: apply("floor_divide", 7, 2, python=True), 3, I64, True),
    (lambda: apply("true_divide", 1, 2, python=True), 0.5, F64, True),
    (lambda: apply("add", True, True, python=True), 2, I64, True),
    (lambda: apply("astype", 5, dtype=np.dtype(np.float32)), 5.0, F32, False),
    (lambda: apply("less", np.float32(1), 2.5), True, np.bool_, False),
])
def test_folded_literal_value_and_type(make, value, dtype, weak):
    v = folded_output(make)
    assert v.type == spec(dtype, weak=weak)
    assert v.value == value and type(v.value) is type(value)


def test_nan_folds_bit_exactly():
    v = folded_output(lambda: apply("true_divide", np.float64(0), np.float64(0)))
    assert np.isnan(v.value) and v.type == spec(F64)


@pytest.mark.parametrize("make, error", [
    (lambda: apply("floor_divide", 7, 0, python=True), ZeroDivisionError),
    (lambda: apply("remainder", 7.0, 0.0, python=True), ZeroDivisionError),
    (lambda: apply("multiply", 2**62, 4, python=True), None),  # int64 overflow at run time
])
def test_what_raises_at_run_time_is_not_folded(make, error):
    graph = trace(lambda: make())
    out = fold(graph)
    assert out.op_counts() == graph.op_counts()
    _, _, err1 = evaluate(graph, [])
    _, _, err2 = evaluate(out, [])
    assert err1 == err2
    if error is not None:
        assert err1[0] is error


def test_constant_arrays_fold_into_a_constant():
    def f(x):
        c = tracing.constant(np.arange(3.0, dtype=np.float32))
        return x + (c * 2 - 1)
    graph = trace(f, spec(F32, 2, 3))
    out = fold(graph)
    assert out.op_counts() == {"constant": 3, "add": 1}  # c and c * 2 are now dead
    out = DeadCodeElimination().run(out)
    assert out.op_counts() == {"constant": 1, "add": 1}
    (const,) = [op for op in out.walk() if op.name == "constant"]
    np.testing.assert_array_equal(const.attrs["value"], [-1, 1, 3])
    assert const.attrs["value"].dtype == np.float32
    assert_equivalent(graph, out)


def test_creation_ops_stay_ops():
    def f(x):
        return np.zeros_like(x) + np.full_like(x, 2.0) * 3
    graph = trace(f, spec(F64, 50, 50))
    assert fold(graph).op_counts() == graph.op_counts()


def test_cond_on_literal_predicate_is_inlined():
    def f(x):
        return cond(apply("greater", 3, 2), lambda: x * 2, lambda: x - 1)
    graph = trace(f, spec(F32, 3))
    out = fold(graph)
    assert out.op_counts() == {"multiply": 1}
    assert_equivalent(graph, out)


def test_while_with_false_test_is_removed():
    def f(x):
        _, y = while_loop(lambda k, y: apply("less", 5, 3), lambda k, y: (k + 1, y * 2), (0, x))
        return y
    graph = trace(f, spec(F32, 3))
    out = fold(graph)
    assert "while_loop" not in out.op_counts() and out.outputs == out.inputs
    assert_equivalent(graph, out)


def test_folds_inside_regions():
    def f(x, n):
        def body(k, y):
            return k + 1, y * apply("multiply", np.float32(2), np.float32(3))
        return while_loop(lambda k, y: k < n, body, (0, x))[1]
    graph = trace(f, spec(F32, 3), spec(I64, weak=True))
    out = fold(graph)
    assert out.op_counts()["multiply"] == 1
    assert_equivalent(graph, out)


def test_zero_division_case_still_raises():
    graph = trace(*[CASES["zero_division"][0]], *CASES["zero_division"][1])
    out = fold(graph)
    assert out.op_counts()["floor_divide"] == 1
    assert_equivalent(graph, out)
