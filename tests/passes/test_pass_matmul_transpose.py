"""matmul_transpose: `x.T @ y` / `x @ y.T` on 2-d float matmuls read the operand in place
(attrs `transpose_a`/`transpose_b`); the interpreter gives the same results before and after,
and compiled code matches eager NumPy."""

import numpy as np
import pytest

import flowjit as fj
from flowjit.ir.ops.control_flow import while_loop
from flowjit.ir.passes import DeadCodeElimination, MatmulTransposeFolding, optimize

from pass_cases import F32, F64, I64, assert_equivalent, spec, trace

fold = MatmulTransposeFolding().run


def _matmuls(graph):
    out = []

    def walk(region):
        for op in region.ops:
            if op.name == "matmul":
                out.append(op)
            for r in op.regions:
                walk(r)
    walk(graph.body)
    return out


def test_transposed_left_and_right_operands_fold():
    def f(x, y, z, w):
        return x.T @ y, y @ z.T, x.T @ w.T
    graph = trace(f, spec(F64, 5, 3), spec(F64, 5, 4), spec(F64, 7, 4), spec(F64, 6, 5))
    out = DeadCodeElimination().run(fold(graph))
    out.verify()
    attrs = [(bool(op.attrs.get("transpose_a")), bool(op.attrs.get("transpose_b")))
             for op in _matmuls(out)]
    assert attrs == [(True, False), (False, True), (True, True)]
    assert "transpose" not in out.op_counts()
    assert_equivalent(graph, out)


def test_transpose_with_other_uses_is_kept_and_ints_are_untouched():
    def f(x, y, k):
        t = x.T
        return t @ y, t + 1.0, k.T @ k
    graph = trace(f, spec(F32, 4, 3), spec(F32, 4, 2), spec(I64, 3, 3))
    out = DeadCodeElimination().run(fold(graph))
    mm = _matmuls(out)
    assert mm[0].attrs.get("transpose_a") and not mm[1].attrs.get("transpose_a")
    assert out.op_counts()["transpose"] == 2
    assert_equivalent(graph, out)


def test_fold_inside_a_loop_region():
    def f(x, y):
        def test(i, acc):
            return i < 3
        def body(i, acc):
            return i + 1, acc + x.T @ (y * acc.sum())
        return while_loop(test, body, (0, np.zeros((3, 2))))
    graph = trace(f, spec(F64, 4, 3), spec(F64, 4, 2))
    out, _ = optimize(graph)
    assert any(op.attrs.get("transpose_a") for op in _matmuls(out))
    assert_equivalent(graph, out)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n,k,m", [(1, 1, 1), (3, 5, 2), (64, 33, 17), (0, 3, 2), (4, 0, 3)])
def test_compiled_transposed_matmul_matches_numpy(dtype, n, k, m):
    rng = np.random.default_rng(n * 100 + k * 10 + m)
    a = rng.standard_normal((k, n)).astype(dtype)
    b = rng.standard_normal((k, m)).astype(dtype)
    c = rng.standard_normal((m, k)).astype(dtype)

    def f(a, b, c):
        return a.T @ b, b.T @ a, (a.T @ c.T), c @ a

    got = fj.function(f)(a, b, c)
    want = f(a, b, c)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for g, w in zip(got, want):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol)


def test_compiled_noncontiguous_argument_transpose():
    a = np.asfortranarray(np.random.default_rng(1).standard_normal((6, 4)))
    b = np.random.default_rng(2).standard_normal((6, 5))
    f = fj.function(lambda a, b: a.T @ b, autograph=False)
    np.testing.assert_allclose(f(a, b), a.T @ b, rtol=1e-12, atol=1e-12)


def test_compiled_transposed_matmul_without_blas(monkeypatch):
    from flowjit.codegen.lowering import linalg
    monkeypatch.setattr(linalg, "_use_blas", lambda a, b, r: False)
    rng = np.random.default_rng(5)
    a, b, c = (rng.standard_normal(s) for s in ((5, 3), (5, 4), (6, 5)))

    def f(a, b, c):
        return a.T @ b, b.T @ c.T

    got = fj.function(f)(a, b, c)
    for g, w in zip(got, f(a, b, c)):
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12)
