"""Differential tests: print, assert, and in-place updates of arrays (a[i] = v, a[i, j] += v,
a[k:m] = v), including updates of argument arrays seen by the caller."""

import numpy as np
import pytest

import flowjit as fj
from ag_differential import assert_same_as_eager, op_counts

X = np.array([1.5, -2.0, 3.0, 0.5, -4.0, 2.5])
M = np.arange(12.0).reshape(4, 3) - 5
f64, i64, f32 = np.float64, np.int64, np.float32


def prints_in_loop(x, n):
    for i in range(n):
        if x[i] > 0:
            print("positive", i, x[i])
        else:
            print("not positive:", x[i], sep="")
    print("done", n, end="!\n")
    return x.sum()


def prints_static_and_traced(x):
    print("start")
    y = x * 2
    print("y =", y, "shape", y.shape)
    print()
    return y


def prints_in_branch_only(x):
    if x > 0:
        print("branch taken", x)
    return x


def prints_containers(x):
    print((x, x * 2), [x + 1])
    return x


def asserts(x):
    assert x > 0, "x must be positive"
    return x * 2


def assert_in_loop(x, n):
    for i in range(n):
        assert x[i] > -3, "too small"
    return x[0]


def assert_without_message(x):
    assert x != 0
    return 1 / x


def setitem_static_index(a):
    a[0] = 10.0
    a[-1] += 1.0
    return a.sum()


def setitem_traced_index(a, i, v):
    a[i] = v
    return a


def setitem_2d_augmented(m, i, j):
    m[i, j] += 100.0
    m[0, 1] *= 2.0
    return m


def setitem_slices(a, k, m):
    a[k:m] = 0.0
    a[:2] = a[4:]
    return a


def setitem_row(m, i):
    m[i] = np.arange(3.0)
    m[:, 0] += 1
    return m


def cumulative_in_place(a, n):
    for i in range(1, n):
        a[i] += a[i - 1]
    return a


def fill_new_array(x, n):
    out = np.zeros(x.shape[0])
    for i in range(n):
        out[i] = x[i] * i
    return out


def fill_2d(m):
    out = np.zeros((m.shape[0], m.shape[1]), dtype=np.int64)
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            if m[i, j] > 0:
                out[i, j] = 1
            else:
                out[i, j] = -1
    return out


def mutate_argument_in_branch(a, t):
    if a[0] > t:
        a[0] = t
    return t


def mutate_argument_no_return(a, n):
    i = i64(0)
    while i < n:
        a[i] = a[i] * a[i]
        i += 1


def alias_sees_update(a):
    b = a
    for i in range(a.shape[0]):
        if a[i] < 0:
            b[i] = 0.0
    return a + 0


def histogram(x, lo, hi, nbins):
    counts = np.zeros(4, dtype=np.int64)
    for v in x:
        if lo <= v < hi:
            k = int_bin(v, lo, hi, nbins)
            counts[k] += 1
    return counts


def int_bin(v, lo, hi, nbins):
    return ((v - lo) / (hi - lo) * nbins).astype(np.int64)


CASES = [
    (prints_in_loop, [(X, i64(n)) for n in (0, 3, 6)]),
    (prints_static_and_traced, [(f64(1.5),), (X[:2].copy(),)]),
    (prints_in_branch_only, [(f64(2),), (f64(-2),)]),
    (prints_containers, [(f64(0.1),)]),
    (asserts, [(f64(2),), (f64(-2),)]),
    (assert_in_loop, [(X, i64(n)) for n in (0, 4, 5)]),
    (assert_without_message, [(f64(2),), (f64(0),)]),
    (setitem_static_index, [(X,), (M[0].copy(),)]),
    (setitem_traced_index, [(X, i64(i), f64(9)) for i in (0, 5, -6, 6)]),
    (setitem_2d_augmented, [(M, i64(i), i64(j)) for i, j in ((0, 0), (3, 2), (-1, -1))]),
    (setitem_slices, [(X, i64(k), i64(m)) for k, m in ((1, 3), (3, 1), (0, 6), (-2, 100))]),
    (setitem_row, [(M, i64(i)) for i in (0, 3)]),
    (cumulative_in_place, [(X, i64(n)) for n in (0, 1, 6)]),
    (fill_new_array, [(X, i64(n)) for n in (0, 6)]),
    (fill_2d, [(M,), (M[:0],)]),
    (mutate_argument_in_branch, [(X, f64(t)) for t in (0.0, 5.0)]),
    (mutate_argument_no_return, [(X, i64(n)) for n in (0, 3)]),
    (alias_sees_update, [(X,), (np.abs(X),)]),
    (histogram, [(X, f64(-4), f64(4), i64(4)), (X * 0.5, f64(-1), f64(1), i64(4))]),
]


@pytest.mark.parametrize("fn,args", [(fn, args) for fn, inputs in CASES for args in inputs],
                         ids=lambda v: v.__name__ if callable(v) else "")
def test_effect(fn, args):
    assert_same_as_eager(fn, *args)


def test_print_runs_at_every_call_in_order(capsys):
    f = fj.function(prints_in_loop)
    for _ in range(2):
        f(X, i64(2))
    out = capsys.readouterr().out
    prints_in_loop(X, i64(2))
    prints_in_loop(X, i64(2))
    assert out == capsys.readouterr().out
    assert op_counts(prints_in_loop, X, i64(2))["print"] == 3


def test_assert_raises_with_message_from_the_call():
    f = fj.function(asserts)
    assert f(f64(1)) == 2
    with pytest.raises(AssertionError, match="x must be positive"):
        f(f64(-1))
    assert op_counts(asserts, f64(1))["assert"] == 1


def test_argument_updated_in_loop_is_updated_for_the_caller():
    a = X.copy()
    fj.function(cumulative_in_place)(a, i64(6))
    np.testing.assert_array_equal(a, np.cumsum(X))
