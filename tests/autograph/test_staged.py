"""Staged behaviour beyond values: effects, nested user code, fallbacks, graph structure."""

import numpy as np
import pytest

import flowjit as fj
import autograph_cases as cases
from test_differential import assert_same_as_eager


def test_print_in_a_staged_loop_prints_like_eager(capsys):
    x = np.array([1.0, -2.0, 3.0])
    cases.prints_in_loop(x, 3)
    expected = capsys.readouterr().out
    fj.function(cases.prints_in_loop)(x, np.int64(3))
    assert capsys.readouterr().out == expected
    graph = fj.function(cases.prints_in_loop).get_concrete_function(x, np.int64(3)).graph
    assert graph.op_counts()["print"] == 2


def test_assert_on_a_traced_value():
    f = fj.function(cases.asserts_positive)
    assert f(np.float64(2.0)) == 4.0
    with pytest.raises(AssertionError, match="x must be positive"):
        f(np.float64(-1.0))


@pytest.mark.parametrize("v", [2.0, -3.0, 20.0])
def test_nested_defs_and_explicit_cond_are_converted(v):
    assert_same_as_eager(cases.nested_def, np.float64(v))
    assert_same_as_eager(cases.explicit_cond_with_def, np.float64(v))


@pytest.mark.parametrize("v", [2.0, -3.0])
def test_lambdas_and_methods_are_converted(v):
    assert_same_as_eager(cases.with_lambda, np.float64(v))
    assert_same_as_eager(cases.method_call, np.float64(v))


def test_python_range_falls_back_to_unrolling_when_the_index_must_be_python():
    x = np.float64(2.0)
    assert_same_as_eager(cases.python_list_indexed_by_loop_index, x)
    graph = fj.function(cases.python_list_indexed_by_loop_index).get_concrete_function(
        x).traced_graph
    assert "while_loop" not in graph.op_counts()


def test_variable_first_defined_in_a_traced_while():
    assert_same_as_eager(cases.traced_while_defines_variable, np.float64(1.5))


@pytest.mark.parametrize("a,b", [(1.0, 2.0), (3.0, -1.0), (np.nan, 1.0), (1.0, np.nan)])
def test_min_max_of_traced_scalars_follow_python(a, b):
    assert_same_as_eager(cases.min_max_builtins, np.float64(a), np.float64(b))


def test_loop_mutating_a_python_list_unrolls_even_with_traced_state():
    x = np.float64(2.0)
    assert_same_as_eager(cases.staged_state_with_list_append, x)


def test_for_row_in_array_with_a_symbolic_first_dimension():
    # Traced and run by the reference interpreter (codegen may not lower `dim` yet).
    from flowjit import autograph
    from flowjit.ir import interpreter, tracing
    from flowjit.ir import types as T

    arg = T.TensorType(np.dtype(np.float64), (T.Dim("n"), 3))
    result = tracing.trace(autograph.convert(cases.for_rows), [arg],
                           lambda ts: ((ts[0],), {}), name="for_rows")
    assert result.graph.op_counts()["while_loop"] == 1
    for n in (0, 1, 5):
        m = np.arange(n * 3.0).reshape(n, 3)
        (got,) = interpreter.run(result.graph, m)[:1]
        np.testing.assert_allclose(got, cases.for_rows(m))
