"""Differential tests: and/or/not with short-circuit meaning, chained comparisons, ternaries."""

import numpy as np
import pytest

from ag_differential import assert_same_as_eager, op_counts

X = np.array([1.5, -2.0, 3.0, 0.5, -4.0, 2.5])
f64, i64 = np.float64, np.int64


def guard_index(x, i):
    # `i < len(x) and x[i] > 0` must not index out of bounds.
    if i < x.shape[0] and x[i] > 0:
        return x[i]
    return f64(-1)


def or_guard(x, i):
    if i >= x.shape[0] or x[i] < 0:
        return f64(0)
    return x[i]


def not_op(x):
    return not x > 1


def and_returns_operand(a, b):
    return a and b


def or_returns_operand(a, b):
    return a or b


def noisy(v, tag):
    print("evaluated", tag)
    return v > 0


def and_right_side_has_effects(a, b):
    return a > 0 and noisy(b, "right")


def or_right_side_has_effects(a, b):
    return a > 0 or noisy(b, "right")


def chained(x, lo, hi):
    return lo < x < hi


def chained_middle_once(x, n):
    return 0 <= noisy_value(x) < n


def noisy_value(v):
    print("middle")
    return v


def chained_not_calling_right(x):
    # `1 < 0 < f()` never calls f (both eagerly and compiled).
    return 1 < 0 < noisy(x, "never")


def chain_in_while(x, n):
    i = i64(0)
    while 0 <= i < n and x[i] != 0:
        i += 1
    return i


def mixed_logic(a, b, c):
    if (a > 0 and b > 0) or not c > 0:
        r = a + b
    else:
        r = c
    return r


def logic_in_loop(x, n):
    count = i64(0)
    for i in range(n):
        if x[i] > 0 and (x[i] < 2 or x[i] > 2.9):
            count += 1
    return count


def nested_ternaries_in_loop(x, n):
    s = f64(0)
    for i in range(n):
        s = s + (x[i] if x[i] > 0 else (-x[i] if x[i] < -3 else 0.0))
    return s


def ternary_on_python_value(x, flag):
    return x * 2 if flag else x


def python_and_or(x):
    k = 3
    m = k > 1 and k < 5
    return x + 1 if m or x > 0 else x


def while_and_guard(x):
    i = i64(0)
    while i < x.shape[0] and x[i] > 0:
        i += 1
    return i


CASES = [
    (guard_index, [(X, i64(i)) for i in (0, 1, 5, 6, 100)]),
    (or_guard, [(X, i64(i)) for i in (0, 1, 6)]),
    (not_op, [(f64(v),) for v in (0.0, 2.0, np.nan)]),
    (and_returns_operand, [(f64(a), f64(b)) for a, b in ((0, 2), (1, 2), (np.nan, 3))]),
    (or_returns_operand, [(f64(a), f64(b)) for a, b in ((0, 2), (1, 2), (0, 0))]),
    (and_right_side_has_effects, [(f64(a), f64(b)) for a, b in ((1, 2), (-1, 2), (1, -2))]),
    (or_right_side_has_effects, [(f64(a), f64(b)) for a, b in ((1, 2), (-1, 2), (-1, -2))]),
    (chained, [(f64(v), f64(1), f64(5)) for v in (0.5, 2.0, 7.0, 1.0)]),
    (chained_middle_once, [(f64(v), f64(5)) for v in (-1.0, 2.0, 9.0)]),
    (chained_not_calling_right, [(f64(1),)]),
    (chain_in_while, [(X, i64(n)) for n in (0, 3, 6)] + [(np.array([1.0, 0.0, 2.0]), i64(3))]),
    (mixed_logic, [(f64(a), f64(b), f64(c)) for a, b, c in
                   ((1, 1, 1), (1, -1, 1), (1, -1, -1), (-1, 1, 5))]),
    (logic_in_loop, [(X, i64(6)), (X, i64(0))]),
    (nested_ternaries_in_loop, [(X, i64(6)), (X, i64(2))]),
    (python_and_or, [(f64(1),), (f64(-1),)]),
    (while_and_guard, [(X,), (np.abs(X),), (X[:0],)]),
]


@pytest.mark.parametrize("fn,args", [(fn, args) for fn, inputs in CASES for args in inputs],
                         ids=lambda v: v.__name__ if callable(v) else "")
def test_expression(fn, args):
    assert_same_as_eager(fn, *args)


@pytest.mark.parametrize("flag", [True, False])
def test_ternary_on_python_value_is_not_staged(flag):
    assert_same_as_eager(ternary_on_python_value, X, flag,
                         fj_kwargs={"static_argnames": ("flag",)})
    assert "cond" not in op_counts(ternary_on_python_value, X, flag,
                                   static_argnames=("flag",))


def test_short_circuit_is_a_cond():
    # The right side sits in a region: it runs only when the left side is true.
    counts = op_counts(guard_index, X, i64(1))
    assert counts["cond"] >= 2
