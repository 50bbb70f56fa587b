"""cond/while_loop tracing: results (through the interpreter) equal eager Python, types unify
as documented, staging errors name the variable, in-place updates reach the caller."""

import numpy as np
import pytest

from flowjit.errors import StagingError
from flowjit.ir import interpreter, tracing, types as T
from flowjit.ir.ops.control_flow import cond, while_loop


def trace(fn, *types):
    return tracing.trace(fn, list(types), lambda ts: (tuple(ts), {}), name=fn.__name__)


def run(fn, *args):
    """Trace `fn` on the types of `args` and interpret it; returns (outputs, trace result)."""
    types = [T.TensorType(np.asarray(a).dtype, np.shape(a)) for a in args]
    r = trace(fn, *types)
    r.graph.verify()
    return interpreter.run(r.graph, *args), r


def collatz_staged(n):
    def body(n, steps):
        n = cond(n % 2 == 0, lambda: n // 2, lambda: 3 * n + 1)
        return n, steps + 1
    return while_loop(lambda n, steps: n != 1, body, (n, 0), names=("n", "steps"))[1]


def collatz_eager(n):
    steps = 0
    while n != 1:
        n = n // 2 if n % 2 == 0 else 3 * n + 1
        steps += 1
    return steps


@pytest.mark.parametrize("n", [1, 2, 7, 27, 97, 871])
def test_collatz_matches_eager(n):
    (out,), r = run(collatz_staged, np.int64(n))
    assert out == collatz_eager(n)
    assert r.graph.op_counts()["while_loop"] == 1 and r.graph.op_counts()["cond"] == 1


@pytest.mark.parametrize("x", [np.float32(-2.5), np.float32(0.0), np.float32(3.0), np.float32(np.nan)])
def test_cond_picks_branch_like_python(x):
    def f(x):
        return cond(x > 0, lambda: x * 2, lambda: -x)
    (out,), _ = run(f, x)
    expected = x * 2 if x > 0 else -x
    np.testing.assert_array_equal(out, expected)
    assert out.dtype == expected.dtype


def test_cond_on_python_value_runs_python():
    calls = []
    r = trace(lambda x: cond(True, lambda: calls.append("t") or x, lambda: calls.append("f") or x),
              T.scalar(np.float64))
    assert calls == ["t"] and "cond" not in r.graph.op_counts()


def test_weak_branch_adopts_other_dtype():
    def f(x):
        return cond(x > 0, lambda: x, lambda: 0)
    r = trace(f, T.scalar(np.float32))
    assert r.graph.outputs[0].type == T.scalar(np.float32)


def test_branch_dtype_mismatch_is_a_staging_error_naming_the_variable():
    def f(x):
        return cond(x > 0, lambda: x, lambda: x.astype(np.int32), names=("y",))
    with pytest.raises(StagingError, match="'y' has dtype float32 in the `if` branch"):
        trace(f, T.scalar(np.float32))


def test_branch_shape_mismatch_is_a_staging_error():
    def f(x):
        return cond(x[0] > 0, lambda: x, lambda: x[:2], names=("v",))
    with pytest.raises(StagingError, match="'v' has shape"):
        trace(f, T.TensorType(np.float64, (3,)))


def test_loop_dtype_change_is_a_staging_error():
    def f(x):
        return while_loop(lambda i: i < 3, lambda i: (i + 0.5,), (x,), names=("i",))
    with pytest.raises(StagingError, match="'i' has dtype int64 before the loop, but dtype "
                                           "float64 after one iteration"):
        trace(f, T.scalar(np.int64))


def test_python_scalar_counter_may_only_lose_weakness():
    # `s = 0.0; s += x[i]` with float64 x: only weakness changes, and a zero-trip loop returns
    # a float64 eagerly too, so the loop carries a strong float64.
    def f(x):
        return while_loop(lambda s, i: i < 4, lambda s, i: (s + x[i], i + 1), (0.0, 0))
    (s, i), r = run(f, np.arange(5, dtype=np.float64))
    assert r.graph.outputs[0].type == T.scalar(np.float64)
    assert s == 6.0 and i == 4


@pytest.mark.parametrize("init,dtype", [(0.0, np.float32), (0, np.float64), (0, np.int32)])
def test_python_scalar_counter_changing_dtype_is_a_staging_error(init, dtype):
    # Eagerly a zero-trip loop returns the Python scalar (float64/int64): no one dtype matches.
    def f(x):
        return while_loop(lambda s, i: i < 4, lambda s, i: (s + x[i], i + 1), (init, 0),
                          names=("s", "i"))
    with pytest.raises(StagingError, match=f"'s' has dtype .* before the loop, but dtype "
                                           f"{np.dtype(dtype).name} after one iteration"):
        trace(f, T.TensorType(dtype, (5,)))


@pytest.mark.parametrize("n", [0, 1, 5])
def test_zero_trip_and_many_trip_loops(n):
    def f(x, n):
        return while_loop(lambda acc, i: i < n, lambda acc, i: (acc * 2 + x, i + 1), (x, 0))
    (acc, i), _ = run(f, np.float64(1.5), np.int64(n))
    expected = 1.5
    for _ in range(n):
        expected = expected * 2 + 1.5
    assert acc == expected and i == n


def test_in_place_update_in_branch_reaches_the_argument():
    def f(a, c):
        def then():
            a[0] = 7.0
        cond(c > 0, then, lambda: None)
        a[1] = 5.0
        return a.sum()
    for c in (np.int64(1), np.int64(-1)):
        a = np.zeros(3)
        (total, new_a), r = run(f, a, c)
        expected = np.zeros(3)
        if c > 0:
            expected[0] = 7.0
        expected[1] = 5.0
        np.testing.assert_array_equal(new_a, expected)
        assert total == expected.sum() and r.mutated_inputs == (0,)


def test_in_place_update_in_loop_is_carried():
    def f(a, n):
        def body(i):
            a[i] = i * 2.0
            return (i + 1,)
        while_loop(lambda i: i < n, body, (0,))
        return a
    a = np.full(4, -1.0)
    outs, r = run(f, a, np.int64(3))
    np.testing.assert_array_equal(outs[0], [0.0, 2.0, 4.0, -1.0])
    assert r.graph.op_counts()["while_loop"] == 1


def test_nested_loops():
    def f(n):
        def outer(i, total):
            inner = while_loop(lambda j, t: j < i, lambda j, t: (j + 1, t + j), (0, total))
            return i + 1, inner[1]
        return while_loop(lambda i, t: i < n, outer, (0, 0))[1]
    (out,), r = run(f, np.int64(6))
    assert out == sum(j for i in range(6) for j in range(i))
    assert r.graph.op_counts()["while_loop"] == 2
