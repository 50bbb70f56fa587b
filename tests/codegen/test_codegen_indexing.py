"""getitem/setitem with static and traced indices vs the interpreter, bounds checks with
NumPy's IndexError text, and print/assert effects."""

import numpy as np
import pytest

from codegen_support import Native, assert_same, check, make_graph, run_both
from flowjit.ir import types as T
from flowjit.ir.ops.control_flow import while_loop
from flowjit.ir.ops.effects import assert_, print_

X = np.arange(24, dtype=np.float64).reshape(2, 3, 4)
XT = T.TensorType(np.float64, (2, 3, 4))
I64 = T.TensorType(np.int64, ())


@pytest.mark.parametrize("index", [
    0, -1, (1, 2), (1, 2, 3), (-1, -2, -3), slice(None), slice(1, None), (slice(None), 1),
    (Ellipsis, 2), (None, 0), (0, slice(None, None, -1)), (slice(None), slice(0, 3, 2), None),
    (0, slice(5, 10)),
], ids=str)
def test_getitem_static(index):
    # Against eager NumPy: the interpreter's `numpy_index` turns a normalized negative-step
    # slice (2, -1, -1) back into slice(2, -1, -1), which NumPy reads as "stop at the end".
    assert_same(Native(make_graph(lambda x: x[index], [XT]))(X), [X[index].copy()])


@pytest.mark.parametrize("i", [0, 1, -1, -2, 2, -3, 100])
def test_getitem_traced_with_bounds_check(i):
    g = make_graph(lambda x, i: x[i, 1], [XT, I64])
    (actual, _), (expected, _) = run_both(g, X, np.int64(i))
    if not isinstance(expected, BaseException):
        assert_same(actual, expected)
        return
    assert isinstance(actual, IndexError)
    with pytest.raises(IndexError) as info:
        X[i, 1]
    assert str(actual) == str(info.value)


def test_boundscheck_off_still_wraps_negative():
    g = make_graph(lambda x, i: x[i], [T.TensorType(np.int32, (5,)), I64])
    n = Native(g, boundscheck=False)
    assert n(np.arange(5, dtype=np.int32), np.int64(-1))[0] == 4
    assert "fail.1" not in n.compiled.unoptimized_ir


@pytest.mark.parametrize("index,value", [
    (0, 5.0), ((1, 2), np.arange(4.0)), ((slice(None), 1, slice(1, 3)), 7.0),
    ((Ellipsis, 0), np.ones(3)), ((1, slice(None, None, 2)), np.full((2, 1), 3.0)),
], ids=str)
def test_setitem_static(index, value):
    def f(x):
        y = x * 1.0
        y[index] = value
        return y, x
    check(f, [XT], X)


def test_setitem_traced_in_loop_updates_in_place():
    def f(x, n):
        def body(a, i):
            a[i] = a[i - 1] + a[i]
            return a, i + 1
        return while_loop(lambda a, i: i < n, body, (x * 1, 1))[0]
    g = make_graph(f, [T.TensorType(np.int64, (1000,)), I64])
    n = Native(g)
    x = np.arange(1000, dtype=np.int64)
    np.testing.assert_array_equal(n(x, np.int64(1000))[0], np.cumsum(x))
    # The loop body works on its carried buffer: no allocation inside the loop.
    body = n.compiled.unoptimized_ir.split("while.body")[1].split("while.exit")[0]
    assert "@malloc" not in body


def test_setitem_out_of_bounds():
    def f(x, i):
        y = x + 0
        y[i] = 1
        return y
    g = make_graph(f, [T.TensorType(np.int32, (3,)), I64])
    with pytest.raises(IndexError, match="index 3 is out of bounds for axis 0 with size 3"):
        Native(g)(np.zeros(3, np.int32), np.int64(3))
    with pytest.raises(IndexError, match="index -4 is out of bounds for axis 0 with size 3"):
        Native(g)(np.zeros(3, np.int32), np.int64(-4))


def test_print_matches_eager_text():
    def f(x, n, w):
        print_("x is", x, "n =", n, (w, x[0]), sep="|")
        print_(n * 2, end="!\n")
        return n
    g = make_graph(f, [T.TensorType(np.float32, (3,)), I64,
                       T.TensorType(np.float64, (), weak=True)])
    (actual, out_a), (expected, out_e) = run_both(g, np.array([1.5, 2, 0.1], np.float32),
                                                  np.int64(7), 2.5)
    assert_same(actual, expected)
    assert out_a == out_e and "x is|[1.5 2.  0.1]|n =|7|(2.5, np.float32(1.5))" in out_a


def test_print_in_loop_runs_every_iteration():
    def f(n):
        def body(i):
            print_(i)
            return (i + 1,)
        return while_loop(lambda i: i < n, body, (np.int64(0),))
    (actual, out_a), (expected, out_e) = run_both(make_graph(f, [I64]), np.int64(4))
    assert out_a == out_e == "0\n1\n2\n3\n"


@pytest.mark.parametrize("message", ["x must be positive", None])
def test_assert(message):
    def f(x):
        assert_(np.min(x) > 0, message)
        return x * 2
    g = make_graph(f, [T.TensorType(np.int64, (3,))])
    n = Native(g)
    assert_same(n(np.array([1, 2, 3])), [np.array([2, 4, 6])])
    with pytest.raises(AssertionError) as info:
        n(np.array([1, -2, 3]))
    assert info.value.args == ((message,) if message is not None else ())


@pytest.mark.parametrize("index", [
    0, -1, (1, 2), (0, slice(1, 3)), (1, slice(None)), (slice(None), 1), (0, slice(0, 3, 2)),
    (Ellipsis, 2), (None, 0), (1, slice(0, 2), slice(1, 3)), (0, 1, slice(1, 4)),
], ids=str)
def test_getitem_intermediates_read_as_views_or_copies(index):
    """An intermediate `x[index]` of an input is a view when it is one contiguous run of the
    buffer (no copy), else a copy: either way the values are NumPy's."""
    import flowjit as fj

    def f(x):
        return x[index] * 2.0 + 1.0

    np.testing.assert_array_equal(fj.function(f)(X), f(X))


def test_getitem_views_in_loops_of_inputs_and_carried_arrays():
    import flowjit as fj

    def f(xs, n):
        acc = np.zeros(xs.shape[1:])
        carried = xs[0] * 1.0
        i = 0
        while i < n:
            acc = acc + xs[i] * carried[i % 3]     # a view of an input; of a carried array
            carried[i % 3] = acc[0] + 1.0          # the carried array changes in place
            i += 1
        return acc, carried

    xs = np.arange(60.0).reshape(5, 3, 4) / 7.0
    got = fj.function(f)(xs, np.int64(5))
    want = f(xs, 5)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
