"""Scalar-loop code quality (codegen/lowering/control_flow.py, codegen/lower.py checks,
scalar.py's checked arithmetic by constants), compiled end to end against eager Python:
small scalar `cond`s become selects whose run-time checks only fire on the branch taken,
Python-int overflow by a constant is one range compare, and checks share failure blocks."""

import numpy as np
import pytest

import flowjit as fj

M, m = 2**63 - 1, -2**63


def collatz_steps(n):
    steps = 0
    while n != 1:
        if n % 2 == 0:
            n = n // 2
        else:
            n = 3 * n + 1
        steps += 1
    return steps


def test_collatz_cond_is_a_select():
    f = fj.function(collatz_steps)
    for n in (1, 2, 3, 27, 97, 871, 63_728_127):
        assert f(n) == collatz_steps(n)
    ir = f.get_concrete_function(27).llvm_ir
    assert "select" in ir and "smul.with.overflow" not in ir


def test_speculated_overflow_raises_only_on_the_taken_branch():
    # 3 * n + 1 overflows for this even n, but the even branch is taken: no error.
    n = (M // 3 + 1) * 2 // 2 * 2
    assert n % 2 == 0 and 3 * n + 1 > M
    f = fj.function(lambda n: n // 2 if n % 2 == 0 else 3 * n + 1)
    assert f(n) == n // 2
    odd = M // 3 + 2 if (M // 3 + 2) % 2 else M // 3 + 3
    with pytest.raises(OverflowError):
        f(odd)
    assert f(M // 3 - (1 - (M // 3) % 2)) == 3 * (M // 3 - (1 - (M // 3) % 2)) + 1


def test_speculated_branches_with_division_by_a_variable_stay_branches():
    def f(a, b):
        return a // b if b != 0 else 0
    g = fj.function(f)
    assert g(7, 0) == 0 and g(-7, 2) == -4   # no SIGFPE, no ZeroDivisionError


@pytest.mark.parametrize("c", [0, 1, -1, 2, -2, 3, -3, 7, -7, M, m, 5])
def test_python_int_arithmetic_by_constants_checks_exact_bounds(c):
    vals = [0, 1, -1, 2, -2, 3, -3, M, m, M - 1, m + 1, M // 3, M // 3 + 1, m // 3,
            m // 3 - 1, -(M // 3) - 1, M // 2, M // 2 + 1, m // 2, m // 2 - 1, M // 7,
            M // 7 + 1, m // 7, m // 7 - 1, m // 7 + 1]
    fns = {"add": lambda x: x + c, "sub": lambda x: x - c, "mul": lambda x: x * c,
           "rsub": lambda x: c - x, "radd": lambda x: c + x, "rmul": lambda x: c * x}
    for name, fn in fns.items():
        g = fj.function(fn, autograph=False)
        for v in vals:
            want = fn(v)
            if m <= want <= M:
                assert g(v) == want, (name, c, v)
            else:
                with pytest.raises(OverflowError):
                    g(v)


def test_numpy_ints_in_speculated_conds_wrap():
    def f(x, k):
        for i in range(k):
            x = x * 3 if x % 2 == 1 else x - 1
        return x
    x = np.int64(M // 2)
    with np.errstate(over="ignore"):
        assert fj.function(f)(x, 5) == f(x, 5)


def test_float_cond_select_matches_eager():
    def f(x, n):
        acc = 0.0
        for i in range(n):
            acc = acc + x / (i + 1) if i % 3 else acc * 0.5 - x
        return acc
    g = fj.function(f)
    for x in (0.0, -1.5, 3.25, float("inf")):
        r, e = g(x, 20), f(x, 20)
        assert r == e or (np.isnan(r) and np.isnan(e))
