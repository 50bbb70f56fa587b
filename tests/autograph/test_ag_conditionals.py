"""Differential tests: conditionals (if/elif/else, nested, ternaries, early return).

Every case runs compiled and eagerly on several inputs (ag_differential.assert_same_as_eager).
"""

import numpy as np
import pytest

from ag_differential import assert_same_as_eager, op_counts

X = np.array([1.5, -2.0, 3.0, 0.5, -4.0, 2.5])
f64, i64, f32 = np.float64, np.int64, np.float32


def if_elif_chain(x):
    if x > 10:
        y = x * 3
    elif x > 0:
        y = x + 1
    elif x == 0:
        y = x - 7
    else:
        y = -x
    return y


def nested_ifs(x, y):
    if x > 0:
        if y > 0:
            r = x + y
        else:
            r = x - y
    else:
        if y > x:
            r = y
        else:
            r = x * y
    return r


def ternary(x):
    return x * 2 if x > 1 else x - 1


def nested_ternary(x):
    return 1.0 if x > 2 else (0.0 if x > -2 else -1.0)


def untouched_and_modified(x, a, b, c):
    # Each branch modifies a different subset; c is untouched by both.
    if x.sum() > 0:
        a = a + 1
        b = b * 3
    else:
        b = b - 1
    return a, b, c


def created_in_both(x):
    if x[0] > 0:
        y = x * 2
        z = f64(1)
    else:
        y = x - 1
        z = f64(-1)
    return y, z


def temp_only_in_branch(x):
    # `t` is created in one branch and not used after it: not an error.
    r = x
    if x > 0:
        t = x * x
        r = t + 1
    return r


def if_without_else_modifies(x):
    y = x
    if x < 0:
        y = -x
    return y


def early_return_chain(x):
    if x > 5:
        return x * 10
    elif x > 0:
        return x
    y = x * x
    if y > 4:
        return -y
    return y + 1


def return_in_nested_if(x, y):
    if x > 0:
        if y > 0:
            return x * y
        y = y - 1
    return x + y


def if_inside_loop(x, n):
    pos = f64(0)
    neg = f64(0)
    for i in range(n):
        if x[i] > 0:
            pos = pos + x[i]
        elif x[i] < -3:
            neg = neg + 10
        else:
            neg = neg + x[i]
    return pos, neg


def loop_inside_if(x, n):
    s = x[0]
    if n > 2:
        for i in range(n):
            s = s + x[i]
    else:
        while s < 100:
            s = s * 2 + 1
    return s


def if_on_python_value(x, k):
    if k > 1:  # k is static here (a Python int captured at trace time by the test)
        x = x * k
    if x.ndim == 1:
        x = x + 1
    return x


def if_not(x):
    if not x > 0:
        return -x
    return x


def if_on_array_truthiness(x):
    y = x
    if x:  # A 0-d traced value's truth (NumPy: nonzero, NaN truthy).
        y = x + 1
    return y


def if_float32_with_python_scalars(x):
    if x > 0:
        x = x * 2.0
    else:
        x = x + 1
    return x


def if_inplace_update(a, i):
    if a[i] > 0:
        a[i] = 0.0
    else:
        a[i] += 10.0
    return a


def if_elif_no_else_in_loop_with_return(x, n):
    for i in range(n):
        if x[i] > 2:
            return i
        elif x[i] < -3:
            return -i
    return 100


def many_variables(x):
    a = x
    b = x * 2
    c = x * 3
    if x > 1:
        a, b = b, a
    elif x > 0:
        c = a + b
    else:
        a = c
        b = c
        c = a
    return a, b, c


CASES = [
    (if_elif_chain, [(f64(v),) for v in (20.0, 3.0, 0.0, -2.5)]),
    (nested_ifs, [(f64(a), f64(b)) for a, b in ((1, 2), (1, -2), (-1, 2), (-1, -2))]),
    (ternary, [(f64(v),) for v in (3.0, 1.0, -5.0)]),
    (nested_ternary, [(f64(v),) for v in (3.0, 0.0, -3.0)]),
    (untouched_and_modified, [(X, i64(1), f64(2), f64(3)), (-X, i64(1), f64(2), f64(3))]),
    (created_in_both, [(X,), (-X,)]),
    (temp_only_in_branch, [(f64(2),), (f64(-2),)]),
    (if_without_else_modifies, [(f64(2),), (f64(-2),), (f32(-2),)]),
    (early_return_chain, [(f64(v),) for v in (7.0, 2.0, -3.0, -1.0, 0.0)]),
    (return_in_nested_if, [(f64(a), f64(b)) for a, b in ((1, 2), (1, -2), (-1, 2))]),
    (if_inside_loop, [(X, i64(6)), (X, i64(0)), (X, i64(2))]),
    (loop_inside_if, [(X, i64(6)), (X, i64(1)), (X, i64(0))]),
    (if_not, [(f64(2),), (f64(-2),), (f64(0),)]),
    (if_on_array_truthiness, [(f64(0),), (f64(3),), (f64(np.nan),)]),
    (if_float32_with_python_scalars, [(f32(2),), (f32(-2),)]),
    (if_inplace_update, [(X, i64(0)), (X, i64(1)), (X, i64(-1))]),
    (if_elif_no_else_in_loop_with_return, [(X, i64(6)), (X, i64(0)), (-X, i64(6)),
                                           (X * 0, i64(6))]),
    (many_variables, [(f64(2),), (f64(0.5),), (f64(-1),)]),
]


@pytest.mark.parametrize("fn,args", [(fn, args) for fn, inputs in CASES for args in inputs],
                         ids=lambda v: v.__name__ if callable(v) else "")
def test_conditional(fn, args):
    assert_same_as_eager(fn, *args)


@pytest.mark.parametrize("k", [1, 3])
def test_if_on_python_values_runs_at_trace_time(k):
    assert_same_as_eager(if_on_python_value, X, k, fj_kwargs={"static_argnames": ("k",)})
    assert "cond" not in op_counts(if_on_python_value, X, k, static_argnames=("k",))


def test_graph_of_elif_chain_is_nested_conds():
    counts = op_counts(if_elif_chain, f64(1))
    assert counts["cond"] == 3


def test_graph_of_if_inside_loop_is_cond_in_while():
    from ag_differential import graph_text
    text = graph_text(if_inside_loop, X, i64(3))
    assert text.index("while_loop") < text.index("cond")
    assert op_counts(if_inside_loop, X, i64(3))["while_loop"] == 1
