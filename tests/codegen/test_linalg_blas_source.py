"""Which BLAS matmul calls when it calls BLAS (`FLOWJIT_GEMM=blas`, or a CPU without AVX2+FMA):
NumPy's bundled OpenBLAS (ILP64) when present (the library NumPy's matmul uses; results agree
to rounding), `FLOWJIT_BLAS=scipy` selects SciPy's cython_blas."""

import os
import subprocess
import sys

import numpy as np
import pytest

import flowjit as fj
from flowjit.codegen.lowering import linalg


def _mlp(x, w, b):
    return np.maximum(x @ w + b, 0)


@pytest.mark.skipif(linalg._numpy_openblas() is None, reason="NumPy without bundled OpenBLAS")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n,k,m", [(32, 64, 128), (7, 300, 5), (130, 129, 131)])
def test_numpy_openblas_matches_numpy(dtype, n, k, m, monkeypatch):
    monkeypatch.setenv("FLOWJIT_GEMM", "blas")
    rng = np.random.default_rng(n + k + m)
    x = rng.standard_normal((n, k)).astype(dtype)
    w = rng.standard_normal((k, m)).astype(dtype)
    b = rng.standard_normal(m).astype(dtype)
    f = fj.function(_mlp)
    assert "gemm64(" in f.get_concrete_function(x, w, b).llvm_ir
    tol = 2e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(f(x, w, b), _mlp(x, w, b), rtol=tol, atol=tol * 10)
    g = fj.function(lambda a, c: a.T @ c, autograph=False)
    np.testing.assert_allclose(g(x, x), x.T @ x, rtol=tol, atol=tol * 100)


def test_scipy_blas_when_asked():
    code = (
        "import numpy as np, flowjit as fj, sys\n"
        "f = fj.function(lambda a, c: a.T @ c, autograph=False)\n"
        "a = np.arange(12.0).reshape(4, 3)\n"
        "assert '@fj_dgemm(' in f.get_concrete_function(a, a).llvm_ir\n"
        "np.testing.assert_allclose(f(a, a), a.T @ a)\n"
        "assert 'scipy.linalg' not in sys.modules\n")
    env = dict(os.environ, FLOWJIT_BLAS="scipy", FLOWJIT_GEMM="blas")
    root = os.path.dirname(os.path.dirname(os.path.abspath(fj.__file__)))
    subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=root, timeout=120)
