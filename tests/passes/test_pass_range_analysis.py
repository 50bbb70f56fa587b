"""Range analysis: Python int arithmetic proven to stay in int64 gets `nooverflow=True`; nothing
else changes (the interpreter gives bit-identical results, errors and text), and no marked op
ever produces a value outside int64 on inputs at the int64 edges (checked by an interpreter
that inspects every result of a marked op)."""

import numpy as np
import pytest

from flowjit.ir import interpreter
from flowjit.ir.ops.control_flow import cond, while_loop
from flowjit.ir.passes import RangeAnalysis, optimize
from flowjit.ir.passes.range_analysis import analyze

from pass_cases import F64, I32, I64, assert_equivalent, spec, trace

ranges = RangeAnalysis().run
M, m = 2**63 - 1, -2**63
EDGES = [0, 1, -1, 2, 3, 7, 100, M, m, M - 1, m + 1, M // 3, M // 3 + 1, M // 2, -(M // 2)]


def marked(graph):
    """Names (with their first literal operand, if any) of the ops marked `nooverflow`."""
    return sorted(op.name for op in graph.walk() if op.attrs.get("nooverflow"))


def unmarked_python(graph):
    return sorted(op.name for op in graph.walk()
                  if op.attrs.get("python") and op.name in ("add", "subtract", "multiply")
                  and not op.attrs.get("nooverflow"))


def assert_sound(graph, *args):
    """Run the interpreter; every result of a marked op must fit int64 (Python ints do not
    wrap there, so an unsound mark shows up as a big int). Returns the outputs or the
    exception (the interpreter runs Python semantics: no OverflowError)."""
    original = interpreter._canonical

    def checking(x, value):
        op = value.producer
        if op is not None and op.attrs.get("nooverflow"):
            assert m <= int(x) <= M, (op.name, x)
        return original(x, value)

    interpreter._canonical = checking
    try:
        return interpreter.run(graph, *args)
    except AssertionError:
        raise
    except Exception as e:  # noqa: BLE001 - ZeroDivisionError etc. are fine here
        return type(e)
    finally:
        interpreter._canonical = original


def weak_int():
    return spec(I64, weak=True)


# -- what is proven ----------------------------------------------------------------------------

def for_range(n):
    def body(i, t):
        return i + 1, t + 2
    return while_loop(lambda i, t: i < n, body, (0, 0))


def test_range_counter_is_marked_accumulator_is_not():
    graph = trace(for_range, weak_int())
    out = ranges(graph)
    out.verify()
    # i + 1 with i < n <= INT64_MAX cannot overflow; t + 2 grows without a bound.
    assert marked(out) == ["add"] and unmarked_python(out) == ["add"]
    assert_equivalent(graph, out)
    for n in (0, 1, 5, -3):
        assert assert_sound(out, n) == interpreter.run(graph, n)


def collatz(n0):
    def body(n, steps):
        even = n % 2 == 0
        (n2,) = cond(even, lambda: (n // 2,), lambda: (3 * n + 1,))
        return n2, steps + 1
    return while_loop(lambda n, steps: n != 1, body, (n0, 0))


def test_collatz_plus_one_after_checked_times_three():
    # 3 * n lies in [INT64_MIN + 2, INT64_MAX - 1] when it did not overflow: `+ 1` is safe.
    graph = trace(collatz, weak_int())
    out = ranges(graph)
    adds = [op for op in out.walk() if op.name == "add"]
    plus_one_after_mul = [op for op in adds if op.operands[0].producer is not None
                          and op.operands[0].producer.name == "multiply"]
    assert len(plus_one_after_mul) == 1 and plus_one_after_mul[0].attrs.get("nooverflow")
    assert not any(op.attrs.get("nooverflow") for op in out.walk() if op.name == "multiply")
    # steps + 1 in an unbounded loop stays checked.
    assert marked(out) == ["add"]
    # 3 * n is not proven, but n >= 2 where it runs (n0 may be anything: no bound below).
    (mul,) = [op for op in out.walk() if op.name == "multiply"]
    assert "operand_ranges" not in mul.attrs
    for n in (1, 2, 3, 27, 97):
        assert assert_sound(out, n) == interpreter.run(graph, n)


def test_operand_ranges_of_an_unproven_product():
    def f(k):
        def run(n0):
            return collatz(n0)
        return cond(k > 0, lambda: run(k), lambda: (k, 0))
    graph = trace(f, weak_int())
    out = ranges(graph)
    (mul,) = [op for op in out.walk() if op.name == "multiply"]
    assert mul.attrs["operand_ranges"] == ((3, 3), (2, M))
    assert not mul.attrs.get("nooverflow")
    assert_equivalent(graph, out)
    for n in (1, 2, 3, 27, 97):
        assert assert_sound(out, n) == interpreter.run(graph, n)


def test_branch_refinement():
    def f(n):
        return cond(n < 100, lambda: (n + 1,), lambda: (n + 1,))
    out = ranges(trace(f, weak_int()))
    (c,) = [op for op in out.body.ops if op.name == "cond"]
    then_add, = c.regions[0].ops
    else_add, = c.regions[1].ops
    assert then_add.attrs.get("nooverflow") and not else_add.attrs.get("nooverflow")
    for n in EDGES:
        assert_sound(out, n)


def test_less_equal_bound_keeps_the_check():
    # `while i <= b: i += 1` overflows for b == INT64_MAX; `while i < b` cannot.
    def le(a, b):
        return while_loop(lambda i: i <= b, lambda i: (i + 1,), (a,))

    def lt(a, b):
        return while_loop(lambda i: i < b, lambda i: (i + 1,), (a,))
    assert marked(ranges(trace(le, weak_int(), weak_int()))) == []
    assert marked(ranges(trace(lt, weak_int(), weak_int()))) == ["add"]


def test_decreasing_counter_and_subtraction():
    def f(k0):
        return while_loop(lambda k, s: k > 0, lambda k, s: (k - 1, s - k), (k0, 0))
    out = ranges(trace(f, weak_int()))
    # k - 1 with k >= 1 is safe; s - k is not (s is unbounded below).
    subs = [op for op in out.walk() if op.name == "subtract"]
    assert [bool(op.attrs.get("nooverflow")) for op in subs] == [True, False]
    for k in (0, 1, 5, -2):
        assert_sound(out, k)


def test_numpy_ints_and_floats_are_never_marked():
    def f(x, y, n):
        def body(i, a, b):
            return i + 1, a + np.int64(1), b * 2.0
        return while_loop(lambda i, a, b: i < n, body, (0, x, y))
    out = ranges(trace(f, spec(I64), spec(F64), weak_int()))
    assert marked(out) == ["add"]       # only i + 1
    names = [(op.name, op.results[0].type.weak) for op in out.walk() if op.attrs.get("nooverflow")]
    assert names == [("add", True)]


def test_short_circuit_loop_test_with_break_flag():
    # AutoGraph's `while n < k:` with a `break`: test `cond(not brk, n < k, not brk)`.
    def f(k, x):
        def test(brk, n):
            nb = np.logical_not(brk)
            (t,) = cond(nb, lambda: (n < k,), lambda: (nb,))
            return t
        def body(brk, n):
            (brk2,) = cond(x > 0.5, lambda: (True,), lambda: (brk,))
            (n2,) = cond(np.logical_not(brk2), lambda: (n + 1,), lambda: (n,))
            return brk2, n2
        return while_loop(test, body, (False, 0))
    graph = trace(f, weak_int(), spec(F64))
    out = ranges(graph)
    assert marked(out) == ["add"]
    assert_equivalent(graph, out)
    for k in (0, 3, M):
        if k < 100:
            assert assert_sound(out, k, 0.1) == interpreter.run(graph, k, 0.1)
        assert assert_sound(out, k, 0.9) == interpreter.run(graph, k, 0.9)


def test_nested_loops_and_int32_bounds():
    def f(a, n):
        def outer(i, t):
            def inner(j, u):
                return j + 1, u + (a + 1)      # a is int32: a + 1 fits int64
            _, u = while_loop(lambda j, u: j < i, inner, (0, t))
            return i + 1, u
        # t starts as an int32: a Python int would change dtype in the loop (a StagingError).
        return while_loop(lambda i, t: i < n, outer, (0, np.int32(0)))
    graph = trace(f, spec(I32), weak_int())
    out = ranges(graph)
    # i + 1, j + 1 proven; u + (a + 1) is not (u accumulates); a + 1 is NumPy (int32 wraps).
    assert marked(out) == ["add", "add"]
    assert_equivalent(graph, out)
    for n in (0, 1, 4):
        assert assert_sound(out, np.int32(2**31 - 1), n) == interpreter.run(
            graph, np.int32(2**31 - 1), n)


def test_multiplication_remainder_floor_divide_bounds():
    def f(n):
        def body(i, acc):
            r = i % 10                 # [0, 9]
            q = i // 4                 # i in [0, 999]: [0, 249]
            return i + 1, r * q + r * 1000   # small: proven
        return while_loop(lambda i, acc: i < 1000, body, (0, 0))
    out = ranges(trace(f, weak_int()))
    assert marked(out) == ["add", "add", "multiply", "multiply"]
    iv = analyze(out)
    (loop,) = [op for op in out.body.ops if op.name == "while_loop"]
    assert iv[id(loop.results[0])] == (1000, 1000)


def test_infeasible_branch_is_left_alone():
    def f(n):
        def body(i):
            (j,) = cond(i < 0, lambda: (i + M,), lambda: (i + 1,))   # i >= 0: then never runs
            return (j,)
        return while_loop(lambda i: i < n, body, (0,))
    out = ranges(trace(f, weak_int()))
    (loop,) = [op for op in out.body.ops if op.name == "while_loop"]
    (c,) = [op for op in loop.regions[1].ops if op.name == "cond"]
    assert not c.regions[0].ops[0].attrs.get("nooverflow")
    assert c.regions[1].ops[0].attrs.get("nooverflow")


@pytest.mark.parametrize("x", EDGES)
def test_edges_are_sound(x):
    def f(a, b):
        def body(i, s, p):
            (s2,) = cond(i % 3 == 0, lambda: (s + i,), lambda: (s - 1,))
            return i + 1, s2, p * 2 + 1
        i, s, p = while_loop(lambda i, s, p: i < b, body, (a, 0, 1))
        return i - a, -s, abs(p), s * 0 + 5
    graph = trace(f, weak_int(), weak_int())
    out = ranges(graph)
    for b in (x, x + 4 if x + 4 <= M else M):
        assert assert_sound(out, x, b) == interpreter.run(graph, x, b)


def test_pipeline_runs_it():
    graph = trace(for_range, weak_int())
    out, log = optimize(graph)
    assert "range_analysis" in [e["pass"] for e in log]
    assert marked(out) == ["add"]


def test_graph_without_python_ints_is_returned_as_is():
    def f(x):
        return (x * 2.0 + 1.0,)
    graph = trace(f, spec(F64, 3))
    assert ranges(graph) is graph


def test_deep_loop_nest_stays_cheap_or_gives_up(monkeypatch):
    import time

    def nest(depth, n):
        def body(i, t):
            if depth == 1:
                return i + 1, t + 1
            (_, t2) = nest(depth - 1, n)(t)
            return i + 1, t2
        return lambda t0: while_loop(lambda i, t: i < n, body, (0, t0))

    def f(n):
        return nest(6, n)(0)
    graph = trace(f, weak_int())
    start = time.perf_counter()
    out = ranges(graph)
    assert time.perf_counter() - start < 5.0
    assert marked(out).count("add") == 6          # every i + 1; never t + 1
    from flowjit.ir.passes import range_analysis
    monkeypatch.setattr(range_analysis, "MAX_VISITS", 10)
    assert ranges(graph) is graph                 # over budget: nothing marked
