"""Differential tests: lists appended to in loops, then np.stack / np.array (a preallocated
buffer when the loop is staged), and the errors for lists whose length is not static."""

import numpy as np
import pytest

from ag_differential import assert_same_as_eager, op_counts

X = np.array([1.5, -2.0, 3.0, 0.5, -4.0, 2.5])
M = np.arange(12.0).reshape(4, 3) - 5
f64, i64 = np.float64, np.int64


def stack_over_rows(m):
    out = []
    for row in m:
        out.append(row * 2 + 1)
    return np.stack(out)


def array_over_vector(x):
    out = []
    for v in x:
        if v > 0:
            w = v * 10
        else:
            w = -v
        out.append(w)
    return np.array(out)


def python_range_with_traced_state(x):
    acc = x * 0
    out = []
    for i in range(8):
        acc = acc + x * i
        out.append(acc)
    return np.stack(out)


def enumerate_append_two(x):
    out = []
    for i, v in enumerate(x):
        out.append(v * i)
        out.append(v + i)
    return np.stack(out)


def list_items_after_loop(x):
    out = []
    s = x * 0
    for i in range(4):
        s = s + x
        out.append(s)
    return out[0] + out[3] + len(out)


def python_values_in_list(x):
    sizes = []
    for i in range(3):
        sizes.append(i * 2)
    return x * sum(sizes)


def nested_lists_in_rows(m):
    rows = []
    for row in m:
        total = row[0] * 0
        for v in row:
            total = total + v * v
        rows.append(total)
    return np.array(rows)


def list_with_head(x):
    out = [x[0]]
    for v in x:
        out.append(v * 3)
    return np.stack(out)


CASES = [
    (stack_over_rows, [(M,), (M[:1],)]),
    (array_over_vector, [(X,), (-X,)]),
    (python_range_with_traced_state, [(f64(1.5),), (X,)]),
    (enumerate_append_two, [(X,), (X[:1],)]),
    (list_items_after_loop, [(f64(2),), (X,)]),
    (python_values_in_list, [(X,)]),
    (nested_lists_in_rows, [(M,), (M[:2],)]),
    (list_with_head, [(X,)]),
]


@pytest.mark.parametrize("fn,args", [(fn, args) for fn, inputs in CASES for args in inputs],
                         ids=lambda v: v.__name__ if callable(v) else "")
def test_list(fn, args):
    assert_same_as_eager(fn, *args)


def test_staged_list_is_one_loop_and_one_buffer():
    counts = op_counts(python_range_with_traced_state, X)
    assert counts["while_loop"] == 1
    assert counts.get("multiply", 0) <= 2  # Not unrolled 8 times.
    counts = op_counts(stack_over_rows, M)
    assert counts["while_loop"] == 1 and "stack" not in counts
