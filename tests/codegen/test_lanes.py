"""Loops over independent iterations run in SIMD lanes (codegen/lowering/lanes.py), marked by
the `parallel_loops` pass: differential tests against eager Python + NumPy and against the
same function compiled without lanes (errors, their messages and order), on sizes around the
lane width (masked last chunks), several lane widths, int32/float32, NaN, empty ranges and
counters at the int64 edge."""

import re

import numpy as np
import pytest

import flowjit as fj
from benchmarks.workloads import collatz_total, mandelbrot  # importable: tests/conftest.py
from flowjit.codegen.lowering import lanes
from fjtest.differential import assert_same_as_eager

M = 2**63 - 1


def graph_of(fn, *args):
    return str(fj.function(fn).get_concrete_function(*args).graph)


def in_lanes(fn, *args) -> bool:
    """Does the compiled code hold vectors of `LANE_WIDTH` lanes (LLVM's own vectorizers
    never pick 32 lanes; block names do not survive its passes)?"""
    ir = fj.function(fn).get_concrete_function(*args).llvm_ir
    return f"<{lanes.LANE_WIDTH} x " in ir


def outcome(f, *args):
    """The result, or the exception's type and message."""
    try:
        return ("ok", f(*args))
    except Exception as e:  # noqa: BLE001 - compared by type and text
        return ("raise", type(e), str(e))


def same_outcome(a, b):
    if a[0] == "raise" or b[0] == "raise":
        return a == b
    return np.array_equal(np.asarray(a[1]), np.asarray(b[1])) and \
        np.asarray(a[1]).dtype == np.asarray(b[1]).dtype


@pytest.fixture(params=[4, 8, lanes.LANE_WIDTH], ids=lambda w: f"width{w}")
def width(request, monkeypatch):
    monkeypatch.setattr(lanes, "LANE_WIDTH", request.param)
    return request.param


def without_lanes(fn, monkeypatch, *args):
    with monkeypatch.context() as m:
        m.setattr(lanes, "vectorizable", lambda op: False)
        f = fj.function(fn)
        return outcome(f, *args)


# -- programs --------------------------------------------------------------------------------

def escape_counts(xs, max_iter):
    out = np.zeros(xs.shape[0], dtype=np.int64)
    for j in range(xs.shape[0]):
        z = 0.0
        n = 0
        while n < max_iter and z * z <= 4.0:
            z = z * z + xs[j]
            n += 1
        out[j] = n
    return out


def column_counts(xs):
    # Stores into column 1 of a 2-d array (a strided scatter), bools into a bool array.
    out = np.zeros((xs.shape[0], 3), dtype=np.int32)
    odd = np.zeros(xs.shape[0], dtype=bool)
    for j in range(xs.shape[0]):
        k = np.int32(0)
        v = xs[j]
        while v > 1.0:
            v = v / 2.0
            k += np.int32(1)
        out[j, 1] = k
        odd[j] = k % 2 == 1
    return out, odd


def branchy(xs):
    # An inner loop inside a `cond`, `continue` and `break` in it, a float result.
    out = np.zeros(xs.shape[0])
    for j in range(xs.shape[0]):
        x = xs[j]
        acc = 0.0
        if x > 0:
            i = 0
            while i < 20:
                i += 1
                if i % 3 == 0:
                    continue
                acc = acc + x / i
                if acc > 5.0:
                    break
        else:
            acc = -x
        out[j] = acc
    return out


def digit_sums(a, b):
    # Two sums, one decremented; counters from a range with any start.
    total = 0
    odd = 0
    for j in range(a, b):
        n = abs(j)
        while n > 0:
            total += n % 10
            n = n // 10
            odd -= 1
    return total, odd


def gather_steps(xs, step):
    # Reads xs[j * step]: out of bounds from some j on (IndexError, in iteration order).
    out = np.zeros(xs.shape[0])
    for j in range(xs.shape[0]):
        k = 0
        v = xs[j * step]
        while v > 1.0 and k < 10:
            v = v / 2.0
            k += 1
        out[j] = v
    return out


def collatz_range(a, b):
    total = 0
    for start in range(a, b):
        n = start
        while n != 1:
            if n % 2 == 0:
                n = n // 2
            else:
                n = 3 * n + 1
            total += 1
    return total


def big_steps(n, step, reps):
    total = 0
    for j in range(n):
        k = 0
        while k < reps:
            total += step
            k += 1
    return total


def wrapping_sum(n, step, reps):
    total = np.int64(0)
    for j in range(n):
        k = 0
        while k < reps:
            total = total + step
            k += 1
    return total


def near_max(count):
    total = 0
    for j in range(M - count, M):
        n = j % 7
        while n > 0:
            n -= 1
            total += 1
    return total


# -- marks -------------------------------------------------------------------------------------

def test_pixel_and_start_loops_are_marked_parallel():
    xs, ys = np.linspace(-2, 1, 9), np.linspace(-1, 1, 4)
    g = graph_of(mandelbrot, xs, ys, 10)
    assert "while_loop[induction=0, parallel=True]" in g
    assert g.count("parallel=True") == 2            # the j loops (the i loop carries `out`)
    assert "while_loop[induction=0, parallel=True, reductions=(1,)]" in \
        graph_of(collatz_total, 10)
    assert "reductions=(1, 2)" in graph_of(digit_sums, 0, 5)


def reads_previous(xs):
    out = np.zeros(xs.shape[0])
    for j in range(1, xs.shape[0]):
        k = 0
        while k < xs[j]:
            k += 1
        out[j] = out[j - 1] + k
    return out


def carries_a_maximum(n):
    best = 0
    for j in range(n):
        k = j
        while k > 3:
            k -= 3
        if k > best:
            best = k
    return best


def reads_the_sum(n):
    total = 0
    for j in range(n):
        while total < j:
            total += 1
    return total


def prints(n):
    total = 0
    for j in range(n):
        k = 0
        while k < j:
            k += 1
        print(k)
        total += k
    return total


@pytest.mark.parametrize("fn,args", [(reads_previous, (np.ones(5),)), (carries_a_maximum, (9,)),
                                     (reads_the_sum, (9,)), (prints, (3,))])
def test_dependent_iterations_are_not_marked(fn, args):
    graph = fj.function(fn).get_concrete_function(*args).graph
    loops = [op for op in graph.body.ops if op.name == "while_loop"]
    assert loops and not any(op.attrs.get("parallel") for op in loops)
    assert not in_lanes(fn, *args)
    assert_same_as_eager(fn, *args)


# -- results -----------------------------------------------------------------------------------

@pytest.mark.parametrize("w,h", [(0, 3), (1, 1), (5, 2), (31, 3), (32, 2), (33, 2), (70, 5)])
def test_mandelbrot_matches_eager(w, h, width):
    for max_iter in (0, 1, 40):
        xs, ys = np.linspace(-2.0, 1.0, w), np.linspace(-1.0, 1.0, h)
        assert_same_as_eager(mandelbrot, xs, ys, max_iter)
    assert in_lanes(mandelbrot, np.zeros(3), np.zeros(2), 5)


def mandelbrot32(xs, ys, max_iter):
    out = np.zeros((ys.shape[0], xs.shape[0]), dtype=np.int32)
    for i in range(ys.shape[0]):
        for j in range(xs.shape[0]):
            zr = np.float32(0)
            zi = np.float32(0)
            n = np.int32(0)
            while n < max_iter:
                if zr * zr + zi * zi > 4.0:
                    break
                zr, zi = zr * zr - zi * zi + xs[j], np.float32(2) * zr * zi + ys[i]
                n += np.int32(1)
            out[i, j] = n
    return out


def test_mandelbrot_float32_and_nan(width):
    xs = np.linspace(-2.0, 1.0, 45).astype(np.float32)
    ys = np.linspace(-1.0, 1.0, 7).astype(np.float32)
    assert_same_as_eager(mandelbrot32, xs, ys, 60)
    xs[[3, 17, 40]] = np.nan
    ys[2] = np.inf
    assert_same_as_eager(mandelbrot32, xs, ys, 60)
    assert_same_as_eager(mandelbrot, xs.astype(np.float64), ys.astype(np.float64), 60)
    assert in_lanes(mandelbrot32, xs, ys, 60)


@pytest.mark.parametrize("limit", [0, 1, 2, 3, 31, 32, 33, 100, 1000])
def test_collatz_total_matches_eager(limit, width):
    assert_same_as_eager(collatz_total, limit)


@pytest.mark.parametrize("n", [0, 3, 17, 64])
def test_strided_bool_and_int32_stores(n, width):
    xs = np.linspace(-3.0, 1000.0, n)
    assert_same_as_eager(escape_counts, xs, 30)
    assert_same_as_eager(column_counts, xs)
    assert_same_as_eager(branchy, np.linspace(-2.0, 3.0, n))
    assert in_lanes(column_counts, np.ones(5))


@pytest.mark.parametrize("a,b", [(0, 0), (5, 2), (-40, 7), (-3, 100), (990, 1100)])
def test_sums_over_any_range(a, b, width):
    assert_same_as_eager(digit_sums, a, b)


def test_counter_at_the_int64_edge(width):
    # The last chunk's lanes past the bound wrap around; they are masked off.
    for count in (1, 5, 40):
        assert near_max(count) == fj.function(near_max)(count)


# -- errors: a failing chunk hands over to the scalar loop -------------------------------------

@pytest.mark.parametrize("step", [1, 2, -1, 3])
def test_index_error_of_the_first_failing_iteration(step, width, monkeypatch):
    xs = np.linspace(0.5, 300.0, 41)
    got = outcome(fj.function(gather_steps), xs, step)
    assert same_outcome(got, without_lanes(gather_steps, monkeypatch, xs, step))
    assert_same_as_eager(gather_steps, xs, step)
    if step > 1:
        assert got[0] == "raise" and got[1] is IndexError
        assert "index 42 is out of bounds for axis 0 with size 41" in got[2]


def test_overflow_in_one_lane_raises_as_without_lanes(width, monkeypatch):
    # 3 * n + 1 leaves int64 for starts near INT64_MAX // 3 (eager Python makes a big int;
    # flowjit's ints are int64 and raise OverflowError, with or without lanes).
    a = M // 3 - 40
    got = outcome(fj.function(collatz_range), a, a + 50)
    assert got[0] == "raise" and got[1] is OverflowError
    assert same_outcome(got, without_lanes(collatz_range, monkeypatch, a, a + 50))


@pytest.mark.parametrize("n,step", [(40, 1), (40, 2**61), (40, -2**61), (3, 2**62), (2, 2**61),
                                    (4, 2**61), (2, -2**61), (5, -2**61)])
def test_sums_whose_partials_overflow(n, step, width, monkeypatch):
    got = outcome(fj.function(big_steps), n, step, 3)
    assert same_outcome(got, without_lanes(big_steps, monkeypatch, n, step, 3))
    total = 3 * n * step
    if -2**63 <= total <= M:
        assert got[0] == "ok" and int(got[1]) == total
    # NumPy int64 sums wrap, in any order.
    assert_same_as_eager(wrapping_sum, n, np.int64(step), 3)
    assert in_lanes(big_steps, n, step, 3)


# -- the code ------------------------------------------------------------------------------------

def test_lanes_are_packed_simd():
    asm = fj.function(mandelbrot).get_concrete_function(
        np.zeros(3), np.zeros(2), 5).asm
    assert re.search(r"\bv?mulpd\s+%[xyz]mm", asm)
    assert re.search(r"\bv?cmp\w*pd\b", asm)


@pytest.mark.parametrize("fn,args", [
    (escape_counts, (np.ones(5), 3)), (column_counts, (np.ones(5),)), (branchy, (np.ones(5),)),
    (digit_sums, (0, 5)), (gather_steps, (np.ones(5), 1)), (collatz_range, (1, 9)),
    (near_max, (3,)), (big_steps, (3, 1, 3)), (wrapping_sum, (3, np.int64(1), 3))])
def test_these_programs_run_in_lanes(fn, args):
    assert in_lanes(fn, *args)
