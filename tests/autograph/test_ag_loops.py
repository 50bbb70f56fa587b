"""Differential tests: while and for loops (range, arrays, enumerate, zip, nesting)."""

import numpy as np
import pytest

from ag_differential import assert_same_as_eager, op_counts

X = np.array([1.5, -2.0, 3.0, 0.5, -4.0, 2.5])
M = np.arange(12.0).reshape(4, 3) - 5
f64, i64, f32 = np.float64, np.int64, np.float32


def while_traced(x):
    n = i64(0)
    while x > 1:
        x = x / 2
        n += 1
    return x, n


def for_range_traced(x, n):
    s = f64(0)
    for i in range(n):
        s = s + x[i] * i
    return s


def for_range_start_stop_step(x, a, b, c):
    s = f64(0)
    count = 0
    for i in range(a, b, c):
        s = s + x[i]
        count += 1
    return s, count


def for_range_python_negative_step(x):
    s = x[0] * 0
    for i in range(5, -1, -2):
        s = s * 2 + x[i]
    return s


def for_range_python_zero_trip(x):
    s = x[0]
    for i in range(3, 3):
        s = s + x[i]
    return s


def for_over_rows(m):
    acc = np.zeros(m.shape[1])
    for row in m:
        acc = acc + np.abs(row)
    return acc


def for_over_vector(x):
    best = x[0]
    for v in x:
        if v > best:
            best = v
    return best


def enumerate_array(x):
    acc = f64(0)
    for i, v in enumerate(x):
        acc = acc + v * (i + 1)
    return acc


def enumerate_start(x):
    acc = i64(0)
    for i, v in enumerate(x, 3):
        if v > 0:
            acc = acc + i
    return acc


def zip_arrays(a, b):
    dot = f64(0)
    for p, q in zip(a, b):
        dot = dot + p * q
    return dot


def zip_rows_and_vector(m, v):
    out = np.zeros(m.shape[1])
    for row, w in zip(m, v):
        out = out + row * w
    return out


def nested_range(m):
    s = f64(0)
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            s = s + m[i, j] * (i - j)
    return s


def nested_traced(n, k):
    total = i64(0)
    for i in range(n):
        for j in range(i, k):
            total = total + i * j
    return total


def triangular_while(n):
    i = i64(0)
    total = i64(0)
    while i < n:
        j = i64(0)
        while j < i:
            total += j
            j += 1
        i += 1
    return total


def matvec(m, v):
    out = np.zeros(m.shape[0])
    for i in range(m.shape[0]):
        acc = 0.0
        for j in range(m.shape[1]):
            acc += m[i, j] * v[j]
        out[i] = acc
    return out


def first_defined_in_loop(x, n):
    s = x[0]
    for i in range(n):
        t = x[i] * 2
        s = s + t
        last = t
    return s + last


def weak_index_keeps_float32(x, n):
    s = x[0]
    for i in range(n):
        s = s + i
    return s


def python_range_staged(x):
    s = x * 0
    for i in range(500):
        s = s + x * (i % 3)
    return s


def loop_over_python_list(x):
    for k in [1, 2, 3]:
        x = x * k
    return x


def loop_over_static_shape(x):
    s = x[0] * 0
    for i in range(len(x)):
        s = s + x[i]
    return s


def while_with_compound_state(x):
    lo = f64(0)
    hi = x
    for _ in range(60):
        mid = (lo + hi) / 2
        if mid * mid > x:
            hi = mid
        else:
            lo = mid
    return lo


def loop_carries_array(x, n):
    y = x.copy()
    for _ in range(n):
        y = y[::-1] * 0.5 + 1
    return y


def range_len_of_traced_shape(m):
    total = f64(0)
    for i in range(m.shape[0] - 1, -1, -1):
        total = total * 2 + m[i].sum()
    return total


CASES = [
    (while_traced, [(f64(v),) for v in (100.0, 1.0, 0.5, 3.0)]),
    (for_range_traced, [(X, i64(n)) for n in (0, 1, 6)]),
    (for_range_start_stop_step, [(X, i64(a), i64(b), i64(c)) for a, b, c in
                                 ((0, 6, 2), (5, -1, -1), (5, 0, -2), (3, 3, 1), (4, 1, 1),
                                  (0, 6, 7), (-6, -1, 2))]),
    (for_range_python_negative_step, [(X,), (-X,)]),
    (for_range_python_zero_trip, [(X,)]),
    (for_over_rows, [(M,), (M[:0],), (M[:1],)]),
    (for_over_vector, [(X,), (-X,)]),
    (enumerate_array, [(X,), (X[:1],)]),
    (enumerate_start, [(X,), (-X,)]),
    (zip_arrays, [(X, X[::-1].copy()), (X, X[:3].copy()), (X[:0], X)]),
    (zip_rows_and_vector, [(M, X[:4].copy()), (M, X[:2].copy())]),
    (nested_range, [(M,), (M[:0],)]),
    (nested_traced, [(i64(n), i64(k)) for n, k in ((4, 5), (0, 3), (3, 0), (5, 2))]),
    (triangular_while, [(i64(n),) for n in (0, 1, 7)]),
    (matvec, [(M, X[:3].copy()), (M[:0], X[:3].copy())]),
    (first_defined_in_loop, [(X, i64(n)) for n in (1, 4, 6)]),
    (weak_index_keeps_float32, [(X.astype(np.float32), i64(n)) for n in (0, 5)]),
    (python_range_staged, [(f64(1.5),), (X,)]),
    (loop_over_python_list, [(f64(2),), (X,)]),
    (loop_over_static_shape, [(X,), (X[:1],)]),
    (while_with_compound_state, [(f64(2.0),), (f64(9.0),)]),
    (loop_carries_array, [(X, i64(n)) for n in (0, 1, 3)]),
    (range_len_of_traced_shape, [(M,), (M[:1],)]),
]


@pytest.mark.parametrize("fn,args", [(fn, args) for fn, inputs in CASES for args in inputs],
                         ids=lambda v: v.__name__ if callable(v) else "")
def test_loop(fn, args):
    assert_same_as_eager(fn, *args)


def test_python_range_with_traced_state_is_one_native_loop():
    counts = op_counts(python_range_staged, X)
    assert counts["while_loop"] == 1
    assert counts.get("multiply", 0) <= 2  # The body once, not 500 times.


def test_nested_loops_nest_while_loops():
    counts = op_counts(nested_traced, i64(3), i64(4))
    assert counts["while_loop"] == 2


def test_static_loop_over_python_list_unrolls():
    assert "while_loop" not in op_counts(loop_over_python_list, X)
