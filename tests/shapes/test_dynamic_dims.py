"""Part B (issues 3 and 4): dimensions known only when the compiled code runs (`DynamicDim`):
`np.arange` with traced bounds, and lists appended to in staged loops with a traced trip
count, returned through the runtime's `fj_alloc_output` callback."""

import numpy as np
import pytest

import flowjit as fj
from flowjit.errors import StagingError
from flowjit.runtime import jit

from shapes_helpers import assert_same_as_eager, rows

SPEC = fj.TensorSpec((None, 3), np.float32)


def arange_n(n): return np.arange(n)
def arange_2(a, b): return np.arange(a, b)
def arange_3(a, b, c): return np.arange(a, b, c)
def arange_math(n): return np.arange(n) * 2.5 + 1, np.arange(n, dtype=np.float32).sum()
def arange_sliced(n): return np.arange(n)[1:], np.arange(n)[::-1], np.diff(np.arange(n) ** 2)
def arange_int32(n): return np.arange(n, dtype=np.int32) + np.int32(1)
def arange_reduce_only(n): return np.arange(1, n + 1).prod(), np.arange(n + 1).max()


@pytest.mark.parametrize("n", [0, 1, 2, 5, -3])
def test_arange_n(n):
    compiled = fj.function(arange_n)
    assert_same_as_eager(arange_n, n, compiled=compiled)
    assert_same_as_eager(arange_n, np.int64(n), compiled=fj.function(arange_n))
    assert_same_as_eager(arange_n, np.int32(n), compiled=fj.function(arange_n))


def test_arange_traces_once_for_every_length():
    compiled = fj.function(arange_n)
    for n in range(-2, 9):
        assert_same_as_eager(arange_n, n, compiled=compiled)
    assert compiled.trace_count == 1
    graph = compiled.get_concrete_function(3).graph
    assert str(graph.outputs[0].type).startswith("int64[d")


@pytest.mark.parametrize("a, b", [(0, 0), (2, 9), (5, 1), (-3, 4), (4, 5)])
def test_arange_start_stop(a, b):
    assert_same_as_eager(arange_2, a, b)


@pytest.mark.parametrize("a, b, c", [(0, 10, 3), (10, 0, -3), (0, 10, -1), (5, 5, 2),
                                     (-7, 7, 4), (3, 4, 100), (9, -9, -2)])
def test_arange_start_stop_step(a, b, c):
    assert_same_as_eager(arange_3, a, b, c)


def test_arange_start_stop_step_one_trace():
    compiled = fj.function(arange_3)
    for args in [(0, 10, 3), (10, 0, -3), (0, 0, 1), (-5, 5, 1)]:
        assert_same_as_eager(arange_3, *args, compiled=compiled)
    assert compiled.trace_count == 1


@pytest.mark.parametrize("fn", [arange_math, arange_sliced, arange_int32, arange_reduce_only],
                         ids=lambda f: f.__name__)
@pytest.mark.parametrize("n", [0, 1, 2, 6])
def test_arange_in_expressions(fn, n):
    assert_same_as_eager(fn, np.int64(n))


def arange_float_bounds(x): return np.arange(x)


def test_arange_float_traced_bounds_refused_clearly():
    with pytest.raises(NotImplementedError, match="integer"):
        fj.function(arange_float_bounds)(np.float64(3.5))


# -- lists appended to in staged loops with a traced trip count --------------------------------

def squares(n):
    out = []
    for i in range(n):
        out.append(np.float32(i) * np.float32(i))
    return np.stack(out)


def two_per_row(x):
    out = []
    for row in x:
        out.append(row * 2)
        out.append(row + 1)
    return np.array(out)


def with_head_and_tail(n, x):
    out = [x]
    for i in range(1, n, 2):
        out.append(x * i)
    out.append(x - 1)
    return np.stack(out)


def running(n):
    acc = []
    total = np.float64(0)
    for i in range(n):
        total = total + i
        acc.append(np.array([total, i]))
    return np.array(acc, dtype=np.float32), total


def rows_of_matrix(n, x):
    out = []
    for i in range(n):
        out.append(x[i % x.shape[0]] * i)
    return np.stack(out).sum(axis=0), np.stack(out)


@pytest.mark.parametrize("n", [1, 2, 5])
def test_list_in_traced_range(n):
    compiled = fj.function(squares)
    assert_same_as_eager(squares, n, compiled=compiled)


def test_list_in_traced_range_traces_once():
    compiled = fj.function(squares)
    for n in (1, 3, 8, 2):
        assert_same_as_eager(squares, n, compiled=compiled)
    assert compiled.trace_count == 1
    assert str(compiled.get_concrete_function(3).graph.outputs[0].type).startswith("float32[d")


def test_list_over_symbolic_axis_is_a_dim_expression():
    compiled = fj.function(two_per_row, input_signature=[SPEC])
    for n in (1, 2, 5):
        assert_same_as_eager(two_per_row, rows(n), compiled=compiled)
    assert compiled.trace_count == 1
    assert str(compiled.get_concrete_function(SPEC).graph.outputs[0].type) == \
        "float32[2*s0,3]"


@pytest.mark.parametrize("n", [0, 1, 2, 7])
def test_list_with_rows_before_and_after_the_loop(n):
    assert_same_as_eager(with_head_and_tail, n, np.arange(3.0))


@pytest.mark.parametrize("n", [1, 4])
def test_list_of_built_arrays_and_carried_total(n):
    assert_same_as_eager(running, n)


@pytest.mark.parametrize("n", [1, 3, 6])
def test_list_then_more_ops(n):
    assert_same_as_eager(rows_of_matrix, n, rows(4))


def test_zero_iterations_give_an_empty_buffer():
    # Eagerly np.stack([]) raises; the staged list has the element's dtype and shape instead
    # (documented difference: the length is a run-time value).
    out = fj.function(squares)(0)
    assert out.shape == (0,) and out.dtype == np.float32


def read_inside(n):
    out = []
    for i in range(n):
        out.append(np.float64(i))
    return out[0]


def len_after(n):
    out = []
    for i in range(n):
        out.append(np.float64(i))
    return len(out)


@pytest.mark.parametrize("fn", [read_inside, len_after], ids=lambda f: f.__name__)
def test_reading_a_run_time_length_list_is_reported(fn):
    with pytest.raises(StagingError, match="np.stack"):
        fj.function(fn)(3)


def while_list(x):
    vals = []
    while x < 10:
        x = x * 2
        vals.append(x)
    return np.array(vals)


def break_list(n):
    vals = []
    for i in range(n):
        if i > 3:
            break
        vals.append(np.float64(i))
    return np.array(vals)


@pytest.mark.parametrize("fn, arg", [(while_list, np.float64(1)), (break_list, 9)],
                         ids=["while", "break"])
def test_while_and_break_lists_are_growable(fn, arg):
    # (Formerly reported; now growable lists, see tests/autograph/test_ag_lists_dynamic.py.)
    np.testing.assert_array_equal(fj.function(fn)(arg), fn(arg))


# -- the allocation callback ----------------------------------------------------------------

def test_allocation_failure_raises_and_the_next_call_works(monkeypatch):
    compiled = fj.function(arange_n)
    np.testing.assert_array_equal(compiled(3), np.arange(3))

    def fail(shape, dtype):
        raise MemoryError(f"simulated failure for {shape}")

    monkeypatch.setattr(jit, "allocate", fail)
    with pytest.raises(MemoryError, match=r"simulated failure for \(4,\)"):
        compiled(4)
    monkeypatch.undo()
    np.testing.assert_array_equal(compiled(5), np.arange(5))
    assert jit.STATE.callback_error is None and jit.STATE.alloc_types is None


def test_two_run_time_outputs_and_a_static_one():
    def fn(n, m):
        return np.arange(n), np.float64(2.0) * n, np.arange(m, n)
    compiled = fj.function(fn)
    for n, m in [(0, 0), (3, 1), (5, 7)]:
        assert_same_as_eager(fn, n, m, compiled=compiled)
    assert compiled.trace_count == 1


def test_callback_outside_a_call_fails_safely():
    import ctypes
    shape = (ctypes.c_int64 * 1)(3)
    assert jit._fj_alloc_output(0, ctypes.addressof(shape)) is None
    err, jit.STATE.callback_error = jit.STATE.callback_error, None
    assert isinstance(err, RuntimeError)


def test_interpreter_runs_dynamic_graphs():
    from flowjit.ir import interpreter
    graph = fj.function(squares).get_concrete_function(4).graph
    np.testing.assert_array_equal(interpreter.run(graph, np.int64(4))[0], squares(4))
