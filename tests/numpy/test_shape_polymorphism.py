"""Shape polymorphism end to end: with `input_signature=[fj.TensorSpec((None, 3), ...)]` one
trace and one native function serve every row count (trace_count stays 1); shapes that depend
on the None dimension are symbolic in the IR and bound at run time."""

import numpy as np
import pytest

import flowjit as fj
from flowjit.ir import types as T
from flowjit.ir import interpreter
from numpy_support import assert_same_as_eager

ROWS = [1, 5, 0, 17, 2]
SPEC = [fj.TensorSpec((None, 3), np.float32)]


def _check_all_lengths(fn, specs=SPEC, make=None, **tol):
    compiled = fj.function(fn, input_signature=specs)
    rng = np.random.default_rng(len(fn.__name__))
    for n in ROWS:
        args = make(n) if make else ((rng.standard_normal((n, 3)) * 3).astype(np.float32),)
        assert_same_as_eager(fn, *args, compiled=compiled, **tol)
    assert compiled.trace_count == 1
    return compiled


def elementwise(x):
    return np.exp(x) * 2 - x / 3, np.where(x > 0, x, 0.5), x.astype(np.int32), -x[:, ::-1]


def reductions(x):
    return (x.sum(axis=0), x.sum(axis=1), x.mean(axis=1, keepdims=True), x.max(axis=1),
            np.argmax(x, axis=1), x.sum(), np.cumsum(x, axis=0), x.var(axis=0), x.std(axis=1))


def softmax(x):
    e = np.exp(x - x.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def layernorm(x):
    m = x.mean(axis=1, keepdims=True)
    return (x - m) / np.sqrt(x.var(axis=1, keepdims=True) + np.float32(1e-5))


def matmul(x):
    w = np.arange(6, dtype=np.float32).reshape(3, 2) / 4
    return x @ w, x.T @ x, np.dot(x, w[:, 0])


def getitem(x):
    return x[:, 1], x[:, 1:], x[:, ::-1], x[..., None], x[:, [2, 0]], x.T[1]


def rows_loop(x):
    total = np.zeros(3, np.float32)
    count = 0
    for row in x:
        total += row * row
        count += 1
    return total, count


def symbolic_outputs(x):
    n = x.shape[0]
    return (np.zeros(x.shape), np.ones((n, 2), np.int32), np.full((n,), 2.5),
            np.arange(n), np.arange(x.shape[0], dtype=np.float32) * 2, np.eye(n),
            np.zeros_like(x), np.empty((3, n)).shape, x.reshape(n, 3, 1), x.shape[0] + 1,
            np.broadcast_to(x[:, :1], x.shape), np.concatenate([x, x], axis=1))


@pytest.mark.parametrize("fn", [elementwise, reductions, softmax, layernorm, matmul, getitem,
                                rows_loop, symbolic_outputs], ids=lambda f: f.__name__)
def test_one_trace_for_all_lengths(fn):
    tol = {"ulps": 8, "atol": 1e-5} if fn in (matmul, reductions, softmax, layernorm) else \
        {"ulps": 2}
    _check_all_lengths(fn, **tol)


def test_empty_reductions_raise_at_run_time():
    """max/argmax over a symbolic axis: ValueError at run time when the length is 0."""
    def f(x):
        return x.max(axis=0), np.argmin(x, axis=0)

    _check_all_lengths(f)


def test_matmul_with_symbolic_batch_and_inner():
    def f(a, b):
        return a @ b, np.matmul(a, b[0])

    specs = [fj.TensorSpec(("b", 2, "k"), np.float64), fj.TensorSpec(("b", "k", 3),
                                                                       np.float64)]
    rng = np.random.default_rng(0)
    compiled = fj.function(f, input_signature=specs)
    for batch, k in [(1, 4), (3, 0), (5, 2)]:
        a, b = rng.standard_normal((batch, 2, k)), rng.standard_normal((batch, k, 3))
        assert_same_as_eager(f, a, b, compiled=compiled, ulps=8, atol=1e-12)
    assert compiled.trace_count == 1


def test_symbolic_shape_is_in_the_ir():
    compiled = fj.function(symbolic_outputs, input_signature=SPEC)
    cf = compiled.get_concrete_function(*SPEC)
    text = str(cf.graph)
    assert "s0" in text and "float64[s0,3]" in text, text


def test_full_with_symbolic_shape_in_the_interpreter():
    """The `full` op takes the run-time sizes of its symbolic dimensions as operands (like
    broadcast_to), so the reference interpreter can run it."""
    def f(x):
        return np.full((x.shape[0], 2), 7, np.int32), np.zeros_like(x), np.ones(x.shape[0])

    cf = fj.function(f, input_signature=SPEC).get_concrete_function(*SPEC)
    for graph in (cf.traced_graph, cf.graph):
        assert any(op.name == "full" for op in graph.body.ops)
        x = np.ones((4, 3), np.float32)
        out = interpreter.run(graph, x)
        for got, want in zip(out, f(x)):
            np.testing.assert_array_equal(got, want)
            assert np.asarray(got).dtype == want.dtype


def test_shape_mismatch_raises():
    compiled = fj.function(softmax, input_signature=SPEC)
    with pytest.raises(ValueError):
        compiled(np.ones((2, 4), np.float32))
    with pytest.raises(TypeError):
        compiled(np.ones((2, 3), np.float64))
    assert isinstance(T.Dim("n"), T.Dim)
