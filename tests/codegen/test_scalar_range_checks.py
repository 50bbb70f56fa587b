"""Python-int overflow checks dropped by range analysis, and `break`/`continue`/`return` flags
lowered as branches, compiled end to end against eager Python at the int64 edges: where eager
Python makes an int outside int64, flowjit still raises OverflowError; where the proof holds,
the results are Python's."""

import re

import numpy as np
import pytest

import flowjit as fj
from benchmarks.workloads import mandelbrot  # importable: see tests/conftest.py

M, m = 2**63 - 1, -2**63


def eager_or_overflow(fn, *args):
    """Eager Python's result, or OverflowError when it (or an intermediate) leaves int64 (the
    callers' functions only produce intermediates that are also returned or counted)."""
    out = fn(*args)
    values = out if isinstance(out, tuple) else (out,)
    if any(isinstance(v, int) and not m <= v <= M for v in values):
        return OverflowError
    return out


def run(f, *args):
    try:
        return f(*args)
    except OverflowError:
        return OverflowError


def as_python(x):
    if isinstance(x, tuple):
        return tuple(as_python(v) for v in x)
    return x if x is OverflowError else int(x)


def last_index(a, b):
    last = a
    for i in range(a, b):
        last = i + 1
    return last


def count_up_lt(a, b):
    i = a
    while i < b:
        i += 1
    return i


def count_up_le(a, b):
    i = a
    while i <= b:
        i += 1
    return i


def ir_of(f, *args):
    return str(f.get_concrete_function(*args).graph)


@pytest.mark.parametrize("a,b", [(M - 3, M), (M - 1, M), (0, 5), (5, 0), (m, m + 3),
                                 (-3, 2)])
def test_range_loop_counter_reaches_int64_max_without_error(a, b):
    for fn in (last_index, count_up_lt):
        f = fj.function(fn)
        assert as_python(run(f, a, b)) == eager_or_overflow(fn, a, b)
    assert "nooverflow=True" in ir_of(fj.function(count_up_lt), 0, 1)


def test_less_equal_loop_still_raises_at_int64_max():
    f = fj.function(count_up_le)
    assert as_python(f(M - 3, M - 1)) == M
    with pytest.raises(OverflowError):
        f(M - 3, M)         # eager Python gives 2**63
    assert "nooverflow" not in ir_of(f, 0, 1)


def collatz_one_step(n):
    if n % 2 == 0:
        n = n // 2
    else:
        n = 3 * n + 1
    return n


@pytest.mark.parametrize("n", [1, 2, 3, 27, M // 3, M // 3 - 1, M // 3 + 1, M // 3 + 2, M - 1,
                               M, m, m + 1, -(M // 3) - 1, -(M // 3) - 2, m // 3])
def test_three_n_plus_one_at_the_edges(n):
    # flowjit's Python ints are int64: each operation's result must fit (3 * n too).
    f = fj.function(collatz_one_step)
    expected = n // 2 if n % 2 == 0 else (
        OverflowError if not m <= 3 * n <= M else eager_or_overflow(collatz_one_step, n))
    assert as_python(run(f, n)) == expected


def test_three_n_plus_one_plus_is_unchecked_times_three_is_checked():
    f = fj.function(collatz_one_step)
    graph = ir_of(f, 3)
    assert "add[nooverflow=True, python=True]" in graph
    assert "multiply[python=True]" in graph


def counter_total(limit, start):
    total = start
    for k in range(1, limit + 1):
        n = k
        while n != 1:
            if n % 2 == 0:
                n = n // 2
            else:
                n = 3 * n + 1
            total += 1
    return total


@pytest.mark.parametrize("start", [0, M - 100_000, M - 10, M - 1, M])
def test_unbounded_counter_keeps_its_check(start):
    f = fj.function(counter_total)
    assert as_python(run(f, 30, start)) == eager_or_overflow(counter_total, 30, start)


def speculated(n):
    # The `then` branch is a select candidate: n + 1 is proven only where n < 100, and is
    # computed speculatively for n == INT64_MAX too; it must not poison the result.
    if n < 100:
        r = n + 1
    else:
        r = 0
    return r


@pytest.mark.parametrize("n", [M, M - 1, 99, 100, m, 0])
def test_proven_op_in_a_speculated_branch(n):
    f = fj.function(speculated)
    assert as_python(f(n)) == speculated(n)
    assert "nooverflow=True" in ir_of(f, n)


def first_above(a, threshold):
    idx = -1
    for i in range(a.shape[0]):
        if a[i] > threshold:
            idx = i
            break
    return idx


def sum_skipping(a, k):
    s = 0.0
    n = 0
    for i in range(a.shape[0]):
        if i % k == 0:
            continue
        s += a[i]
        n += 1
    return s, n


def find_return(a, x):
    for i in range(a.shape[0]):
        if a[i] == x:
            return i
    return -1


def escape(c, limit):
    z = 0.0
    n = 0
    while n < limit:
        if z * z > 4.0:
            break
        z = z * z + c
        n += 1
    return n, z


def test_break_continue_return_flags_as_branches():
    rng = np.random.default_rng(0)
    a = rng.standard_normal(50)
    f = fj.function(first_above)
    for t in (-10.0, 0.0, 1.0, 1.5, 10.0):
        assert f(a, t) == first_above(a, t)
    g = fj.function(sum_skipping)
    for k in (1, 2, 3, 7):
        s, n = g(a, k)
        es, en = sum_skipping(a, k)
        assert n == en and s == es
    h = fj.function(find_return)
    for x in (a[0], a[17], a[49], 123.0):
        assert h(a, x) == find_return(a, x)
    e = fj.function(escape)
    for c in (-2.5, -2.0, -0.75, 0.0, 0.25, 0.3, 1.0):
        for limit in (0, 1, 10, 100, M):
            if limit == M and -2.0 <= c <= 0.25:
                continue     # never escapes
            n, z = e(c, limit)
            en, ez = escape(c, limit)
            assert n == en and np.float64(z).tobytes() == np.float64(ez).tobytes()


def test_escape_loop_carries_no_selects():
    # The escape test and the update are one loop: the `break` is an early exit, the
    # loop-carried zr/zi are not selected between old and new values. Checked on the very
    # function the benchmark suite times, in its scalar loops (the SIMD-lane loop,
    # codegen/lowering/lanes.py, selects per lane by design).
    xs, ys = np.linspace(-2, 1, 7), np.linspace(-1, 1, 5)
    f = fj.function(mandelbrot)
    assert np.array_equal(f(xs, ys, 50), mandelbrot(xs, ys, 50))
    ir = f.get_concrete_function(xs, ys, 50).llvm_ir
    assert not [line for line in ir.splitlines() if re.search(r"select i1 [^,]+, double ", line)]
    assert "sadd.with.overflow" not in ir


def test_guarded_check_branches_on_its_own_condition_first():
    # In a speculated branch, the overflow test of `3 * n` is branched on first (almost never
    # true), the unpredictable parity guard only tested when it holds; errors stay exact.
    f = fj.function(collatz_one_step)
    compiled = f.get_concrete_function(3)._compiled
    assert "check.guard" in compiled.unoptimized_ir
    even_big = (M // 3 + 1) * 2 // 2 * 2                 # 3n overflows, but n is even
    assert f(even_big) == even_big // 2
    with pytest.raises(OverflowError):
        f(M // 3 + 2 if (M // 3 + 2) % 2 else M // 3 + 3)


def test_unproven_counter_is_one_overflow_intrinsic():
    f = fj.function(counter_total)
    assert f(10, 0) == counter_total(10, 0)
    ir = f.get_concrete_function(10, 0).llvm_ir
    assert "sadd.with.overflow" in ir


def steps_if_positive(k):
    steps = 0
    if k > 0:
        n = k
        while n != 1:          # n stays >= 1: `3 * n` needs only its upper bound checked
            if n % 2 == 0:
                n = n // 2
            else:
                n = 3 * n + 1
            steps += 1
    return steps


@pytest.mark.parametrize("k", [1, 2, 27, 97, M // 3 - 1, M // 3 + 1, M // 3 + 2, M - 1, M,
                               0, -5, m])
def test_narrowed_product_check_at_the_edges(k):
    f = fj.function(steps_if_positive)
    try:
        expected = steps_if_positive(k)
    except Exception:  # noqa: BLE001
        expected = None
    # Eager Python never overflows; flowjit raises where an intermediate leaves int64.
    n, overflow = k, False
    while k > 0 and n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        if not m <= n <= M or (n - 1) % 3 == 0 and not m <= n - 1 <= M:
            overflow = True
            break
    assert as_python(run(f, k)) == (OverflowError if overflow else expected)
    graph = ir_of(f, 27)
    assert "operand_ranges=((3, 3), (2, 9223372036854775807))" in graph
