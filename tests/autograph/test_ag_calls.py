"""Differential tests: calls to user functions, methods, nested functions, lambdas, closures,
default and keyword arguments, globals; NumPy, builtins and flowjit called as they are."""

import functools

import numpy as np
import pytest

import flowjit as fj
from ag_differential import assert_same_as_eager, op_counts

X = np.array([1.5, -2.0, 3.0, 0.5, -4.0, 2.5])
f64, i64 = np.float64, np.int64
SCALE = 3.0


def relu(v):
    if v > 0:
        return v
    return v * 0


def calls_helper_in_loop(x, n):
    s = f64(0)
    for i in range(n):
        s = s + relu(x[i])
    return s


def clipped(v, lo=-1.0, hi=1.0):
    if v < lo:
        return lo + v * 0
    if v > hi:
        return hi + v * 0
    return v


def default_and_keyword_args(x):
    return clipped(x) + clipped(x, hi=2.0) + clipped(x, -3.0, hi=0.5) + clipped(v=x, lo=0.0)


def reads_global(x):
    return x * SCALE if x > 0 else x


class Accumulator:
    def __init__(self, decay):
        self.decay = decay

    def step(self, acc, v):
        if v > 0:
            return acc * self.decay + v
        return acc

    @staticmethod
    def twice(v):
        return v * 2 if v > 1 else v

    def run(self, x):
        acc = x[0] * 0
        for v in x:
            acc = self.step(acc, v)
        return acc


def calls_methods(x):
    a = Accumulator(0.5)
    return a.run(x) + Accumulator.twice(x[0])


def nested_function(x, n):
    def body(v, k):
        while k > 0:
            v = v * 1.5
            k -= 1
        return v

    return body(x, n) + body(x, n - 1)


def closure_over_traced(x, t):
    def above(v):
        return v > t

    count = i64(0)
    for v in x:
        if above(v):
            count += 1
    return count


def lambdas(x):
    sq = lambda v: v * v  # noqa: E731
    absval = lambda v: v if v > 0 else -v  # noqa: E731
    return sq(x) + absval(x)


def higher_order(x, n):
    def apply_n(f, v, k):
        for _ in range(k):
            v = f(v)
        return v

    return apply_n(lambda v: v * 0.5 + 1, x, n)


def recursive_python_depth(x, depth):
    if depth == 0:  # depth is a Python int: the recursion unrolls at trace time
        return x
    return recursive_python_depth(x * 2 if x < 10 else x, depth - 1)


def uses_partial(x):
    f = functools.partial(clipped, lo=-0.5)
    return f(x)


def numpy_and_builtins(x, n):
    s = f64(0)
    for i in range(n):
        s = s + abs(x[i]) + max(x[i], 0.0) - min(x[i], 1.0)
    return s + np.sum(np.abs(x)) + len(x)


@fj.function
def inner_compiled(v):
    if v > 0:
        return v * 10
    return -v


def calls_fj_function(x):
    return inner_compiled(x) + 1


def explicit_fj_cond(x):
    return fj.cond(x > 0, lambda: x * 2, lambda: x - 1)


def explicit_fj_while_loop(x):
    return fj.while_loop(lambda v, k: v < 100, lambda v, k: (v * 3, k + 1), (x, i64(0)))


def args_and_kwargs(*vals, scale=1.0, **extra):
    total = vals[0] * 0
    for v in vals:
        if v > 0:
            total = total + v * scale
    return total + extra.get("bias", 0.0)


def calls_varargs(x, y):
    return args_and_kwargs(x, y, scale=2.0, bias=1.0) + args_and_kwargs(x)


CASES = [
    (calls_helper_in_loop, [(X, i64(n)) for n in (0, 6)]),
    (default_and_keyword_args, [(f64(v),) for v in (-5.0, 0.3, 1.5, 5.0)]),
    (reads_global, [(f64(2),), (f64(-2),)]),
    (calls_methods, [(X,), (-X,)]),
    (nested_function, [(f64(2), i64(n)) for n in (0, 1, 4)]),
    (closure_over_traced, [(X, f64(t)) for t in (0.0, 2.0, 10.0)]),
    (lambdas, [(f64(v),) for v in (2.0, -3.0)]),
    (higher_order, [(f64(4), i64(n)) for n in (0, 3)]),
    (recursive_python_depth, [(f64(1.5), 3), (f64(20.0), 2)]),
    (uses_partial, [(f64(v),) for v in (-2.0, 0.0, 2.0)]),
    (numpy_and_builtins, [(X, i64(n)) for n in (0, 6)]),
    (calls_fj_function, [(f64(3),), (f64(-3),)]),
    (explicit_fj_cond, [(f64(3),), (f64(-3),)]),
    (calls_varargs, [(f64(1), f64(2)), (f64(-1), f64(2))]),
]


@pytest.mark.parametrize("fn,args", [(fn, args) for fn, inputs in CASES for args in inputs],
                         ids=lambda v: v.__name__ if callable(v) else "")
def test_call(fn, args):
    kwargs = {"static_argnames": ("depth",)} if fn is recursive_python_depth else None
    assert_same_as_eager(fn, *args, fj_kwargs=kwargs)


@pytest.mark.parametrize("v", [1.0, 200.0])
def test_explicit_fj_while_loop(v):
    # fj.while_loop needs a trace (it has no eager mode): compare with the Python loop.
    k, x = 0, v
    while x < 100:
        x, k = x * 3, k + 1
    got = fj.function(explicit_fj_while_loop)(f64(v))
    assert got == (x, k)


def test_called_functions_are_converted_once_and_cached():
    from flowjit import autograph
    assert autograph.convert(relu) is autograph.convert(relu)


def test_helper_control_flow_becomes_ops():
    counts = op_counts(calls_helper_in_loop, X, i64(3))
    assert counts["while_loop"] == 1 and counts["cond"] >= 1
