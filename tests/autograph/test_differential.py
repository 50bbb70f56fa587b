"""Compiled (fj.function) vs eager Python + NumPy on the same inputs: values, dtypes, shapes."""

import numpy as np
import pytest

import flowjit as fj
import autograph_cases as cases


def assert_same_as_eager(fn, *args):
    eager_args = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    expected = fn(*eager_args)
    got = fj.function(fn)(*args)
    expected_leaves = expected if isinstance(expected, tuple) else (expected,)
    got_leaves = got if isinstance(got, tuple) else (got,)
    assert len(expected_leaves) == len(got_leaves)
    for e, g in zip(expected_leaves, got_leaves):
        e, g = np.asarray(e), np.asarray(g)
        assert g.shape == e.shape, (g, e)
        assert g.dtype == e.dtype, (g.dtype, e.dtype)
        np.testing.assert_allclose(g, e, rtol=1e-12)
    for a, b in zip(args, eager_args):
        if isinstance(a, np.ndarray):
            np.testing.assert_array_equal(a, b)  # In-place updates reach the caller's array.


X = np.array([1.5, -2.0, 3.0, 0.5, -4.0, 2.5])


@pytest.mark.parametrize("n", [1, 6, 27, 97])
def test_collatz(n):
    assert_same_as_eager(cases.collatz_steps, np.int64(n))


@pytest.mark.parametrize("x", [3.0, -2.5, 0.0])
def test_if_elif_else(x):
    assert_same_as_eager(cases.sign_branch, np.float64(x))


@pytest.mark.parametrize("x", [X, -X])
def test_branch_reassigns_only_some_variables(x):
    assert_same_as_eager(cases.partial_reassign, x, np.int64(1), np.float64(3))


@pytest.mark.parametrize("n", [0, 1, 6])
def test_for_range_traced_bound_including_zero_trip(n):
    assert_same_as_eager(cases.sum_range, X, np.int64(n))


@pytest.mark.parametrize("start,stop,step", [(0, 6, 2), (5, -1, -1), (5, 0, -2), (3, 3, 1),
                                             (4, 1, 1), (0, 6, 7)])
def test_for_range_traced_step_and_negative_step(start, stop, step):
    assert_same_as_eager(cases.sum_range_step, X, np.int64(start), np.int64(stop),
                         np.int64(step))


@pytest.mark.parametrize("n", [0, 3, 6])
def test_break_on_first_iteration(n):
    assert_same_as_eager(cases.break_first, X, np.int64(n))


@pytest.mark.parametrize("x", [X, -X, X * 10])
def test_while_with_break_and_continue(x):
    assert_same_as_eager(cases.while_break_continue, x, np.int64(6))


@pytest.mark.parametrize("x", [X, X - 10, X + 1])
def test_return_from_nested_loop(x):
    assert_same_as_eager(cases.nested_return, x, np.int64(6))


@pytest.mark.parametrize("n", [1, 4, 6])
def test_variable_first_defined_inside_loop(n):
    assert_same_as_eager(cases.first_defined_in_loop, X, np.int64(n))


@pytest.mark.parametrize("x", [X, -X])
def test_early_return_in_traced_if(x):
    assert_same_as_eager(cases.early_return, x)


def test_for_row_in_array():
    assert_same_as_eager(cases.for_rows, np.arange(12.0).reshape(4, 3))


def test_enumerate_and_zip_over_arrays():
    assert_same_as_eager(cases.enumerate_rows, X)
    assert_same_as_eager(cases.zip_arrays, X, X[::-1].copy())


@pytest.mark.parametrize("x", [X, np.abs(X), np.array([0.5, 2.0, 5.0, 1.0, 4.0, 9.0])])
def test_and_or_not_short_circuit_guard(x):
    # `i < n and x[i] >= 0` must not read x[n]: compiled code checks bounds.
    assert_same_as_eager(cases.logical_ops, x, np.int64(len(x)))


@pytest.mark.parametrize("v", [0.5, 2.0, 7.0])
def test_chained_comparison(v):
    assert_same_as_eager(cases.chained, np.float64(v), np.float64(1.0), np.float64(5.0))


def test_inplace_updates_in_a_staged_loop_reach_the_caller():
    assert_same_as_eager(cases.inplace_update, X.copy(), np.int64(4))


def test_python_loop_with_list_unrolls():
    assert_same_as_eager(cases.python_list_unrolls, np.float64(2.0))


@pytest.mark.parametrize("v", [2.0, -3.0])
def test_user_function_calls_are_converted(v):
    assert_same_as_eager(cases.calls_helper, np.float64(v))


def test_python_range_with_traced_state_compiles_to_a_loop():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    assert_same_as_eager(cases.python_range_staged, x)
    graph = fj.function(cases.python_range_staged).get_concrete_function(x).traced_graph
    counts = graph.op_counts()
    assert counts.get("while_loop") == 1
    assert counts.get("multiply", 0) < 10  # Not unrolled 1000 times.


def test_python_condition_runs_at_trace_time():
    x = np.float64(1.0)
    for flag in (True, False):
        f = fj.function(cases.static_condition, static_argnames=("flag",))
        assert f(x, flag=flag) == cases.static_condition(x, flag)
        graph = f.get_concrete_function(x, flag=flag).traced_graph
        assert "cond" not in graph.op_counts()


def test_while_on_python_counter_unrolls():
    assert_same_as_eager(cases.while_python_counter, np.float32(1.5))
    graph = fj.function(cases.while_python_counter).get_concrete_function(
        np.float32(1.5)).traced_graph
    assert "while_loop" not in graph.op_counts()
