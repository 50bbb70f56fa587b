"""Differential tests: break, continue, loop `else:` clauses and return from inside loops."""

import numpy as np
import pytest

from ag_differential import assert_same_as_eager, op_counts

X = np.array([1.5, -2.0, 3.0, 0.5, -4.0, 2.5])
M = np.arange(12.0).reshape(4, 3) - 5
f64, i64 = np.float64, np.int64


def break_first_iteration(x, n):
    s = f64(0)
    for i in range(n):
        if x[i] > -100:
            break
        s = s + x[i]
    return s


def break_when_found(x, target):
    idx = i64(-1)
    for i in range(len(x)):
        if x[i] == target:
            idx = i
            break
    return idx


def continue_skips(x, n):
    s = f64(0)
    for i in range(n):
        if x[i] < 0:
            continue
        s = s + x[i]
    return s


def continue_and_break_in_while(x, n):
    i = i64(0)
    s = f64(0)
    while i < n:
        i += 1
        if x[i - 1] < 0:
            continue
        if s > 4:
            break
        s = s + x[i - 1]
    return s, i


def for_else_without_break(x, n):
    s = f64(0)
    for i in range(n):
        if x[i] > 100:
            break
        s = s + x[i]
    else:
        s = s * 10
    return s


def for_else_over_array(x, limit):
    found = f64(0)
    for v in x:
        if v > limit:
            found = v
            break
    else:
        found = f64(-1)
    return found


def while_else(x, n):
    i = i64(0)
    while i < n:
        if x[i] > 2:
            break
        i += 1
    else:
        i = i64(100)
    return i


def return_from_loop(x, n):
    for i in range(n):
        if x[i] < 0:
            return i
    return -1


def return_from_nested_loop(x, n):
    for i in range(n):
        for j in range(n):
            if x[i] + x[j] > 5:
                return x[i] * x[j]
    return x[0] - 1


def return_from_while_in_for(m):
    for i in range(m.shape[0]):
        j = i64(0)
        while j < m.shape[1]:
            if m[i, j] > 2:
                return i * 10 + j
            j += 1
    return i64(-1)


def break_inner_only(m, limit):
    total = f64(0)
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            if m[i, j] > limit:
                break
            total = total + m[i, j]
    return total


def continue_in_nested(m):
    total = f64(0)
    for i in range(m.shape[0]):
        if i == 1:
            continue
        for j in range(m.shape[1]):
            if m[i, j] < 0:
                continue
            total = total + m[i, j]
    return total


def break_in_python_range_with_traced_test(x):
    # A Python range whose break depends on traced values.
    s = x[0] * 0
    for i in range(6):
        if s > 3:
            break
        s = s + np.abs(x[i])
    return s


def break_in_unrolled_list_loop(x):
    s = x * 0
    for k in [1.0, 2.0, 3.0, 4.0]:
        s = s + k * x
        if s > 5:
            break
    return s


def while_true_with_break(x):
    n = i64(0)
    while True:
        x = x * 0.5
        n += 1
        if x < 1:
            break
    return x, n


def search_2d_first_negative(m):
    pos = (i64(-1), i64(-1))
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            if m[i, j] < 0:
                return i, j
    return pos


def return_in_loop_else(x, n):
    for i in range(n):
        if x[i] > 2:
            break
    else:
        return f64(-1)
    return x[i]


CASES = [
    (break_first_iteration, [(X, i64(n)) for n in (0, 3, 6)]),
    (break_when_found, [(X, f64(v)) for v in (1.5, 3.0, 2.5, 7.0)]),
    (continue_skips, [(X, i64(n)) for n in (0, 2, 6)]),
    (continue_and_break_in_while, [(x, i64(6)) for x in (X, -X, X * 10)]),
    (for_else_without_break, [(X, i64(n)) for n in (0, 6)] + [(X * 100, i64(6))]),
    (for_else_over_array, [(X, f64(v)) for v in (2.0, 10.0)] + [(X[:0], f64(0))]),
    (while_else, [(X, i64(n)) for n in (0, 2, 6)]),
    (return_from_loop, [(X, i64(n)) for n in (0, 1, 6)] + [(np.abs(X), i64(6))]),
    (return_from_nested_loop, [(x, i64(6)) for x in (X, X - 10, X + 1)]),
    (return_from_while_in_for, [(M,), (M - 100,), (M[:0],)]),
    (break_inner_only, [(M, f64(v)) for v in (-100.0, 0.0, 100.0)]),
    (continue_in_nested, [(M,), (-M,)]),
    (break_in_python_range_with_traced_test, [(X,), (X / 10,)]),
    (break_in_unrolled_list_loop, [(f64(v),) for v in (0.1, 1.0, 3.0)]),
    (while_true_with_break, [(f64(v),) for v in (0.5, 1.0, 100.0)]),
    (search_2d_first_negative, [(M,), (M + 100,)]),
    (return_in_loop_else, [(X, i64(n)) for n in (0, 2, 6)] + [(X - 10, i64(6))]),
]


@pytest.mark.parametrize("fn,args", [(fn, args) for fn, inputs in CASES for args in inputs],
                         ids=lambda v: v.__name__ if callable(v) else "")
def test_loop_control(fn, args):
    assert_same_as_eager(fn, *args)


def test_return_from_nested_loop_stays_two_native_loops():
    counts = op_counts(return_from_nested_loop, X, i64(6))
    assert counts["while_loop"] == 2


def return_tuple_from_traced_loop(x, n):
    for i in range(n):
        if x[i] < 0:
            return i, x[i]
    return i64(-1), f64(0)


@pytest.mark.parametrize("n", [0, 1, 6])
def test_return_tuple_from_staged_loop(n):
    assert_same_as_eager(return_tuple_from_traced_loop, X, i64(n))
