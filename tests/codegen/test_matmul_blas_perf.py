"""matmul through a gemm (flowjit's own, or BLAS with `FLOWJIT_GEMM=blas`) for float32/float64;
the loop for the rest."""

import numpy as np
import pytest

import flowjit as fj

RNG = np.random.default_rng(7)
SHAPES = [((5, 7), (7, 3)), ((7,), (7, 3)), ((5, 7), (7,)), ((7,), (7,)),
          ((2, 3, 5, 7), (7, 4)), ((4, 5, 7), (1, 7, 2)), ((0, 3), (3, 4)), ((3, 0), (0, 4)),
          ((64, 300), (300, 129))]


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int64])
@pytest.mark.parametrize("sa,sb", SHAPES)
def test_matmul_matches_numpy(sa, sb, dtype):
    f = fj.function(lambda a, b: a @ b)
    a = (RNG.standard_normal(sa) * 4).astype(dtype)
    b = (RNG.standard_normal(sb) * 4).astype(dtype)
    r, e = f(a, b), a @ b
    assert r.shape == e.shape and r.dtype == e.dtype
    if np.dtype(dtype).kind == "i":
        np.testing.assert_array_equal(r, e)
    else:
        np.testing.assert_allclose(r, e, rtol=1e-4 if dtype == np.float32 else 1e-12,
                                   atol=1e-4)


@pytest.mark.parametrize("dtype,symbol", [(np.float32, "fj_sgemm"), (np.float64, "fj_dgemm")])
def test_float_matmul_calls_blas(dtype, symbol, monkeypatch):
    monkeypatch.setenv("FLOWJIT_GEMM", "blas")
    f = fj.function(lambda x, w, b: np.maximum(x @ w + b, 0))
    x, w, b = np.ones((8, 16), dtype), np.ones((16, 4), dtype), np.ones(4, dtype)
    llvm_ir = f.get_concrete_function(x, w, b).llvm_ir
    assert f"@{symbol}(" in llvm_ir or f"@{symbol}64(" in llvm_ir   # SciPy's or NumPy's BLAS
    np.testing.assert_array_equal(f(x, w, b), np.maximum(x @ w + b, 0))


def test_mixed_dtype_matmul_uses_loop():
    f = fj.function(lambda a, b: a @ b)
    a, b = np.arange(6, dtype=np.int64).reshape(2, 3), np.ones((3, 2), np.float32)
    assert "gemm" not in f.get_concrete_function(a, b).llvm_ir
    np.testing.assert_allclose(f(a, b), a @ b)
