"""flowjit's own gemm: float32/float64 `C = A @ B` generated as LLVM IR for the host's vectors.

Goto's algorithm as BLIS structures it (Goto & van de Geijn, "Anatomy of High-Performance
Matrix Multiplication", ACM TOMS 2008; Van Zee & van de Geijn, "BLIS", ACM TOMS 2015): a
register-tile micro-kernel (`microkernel.py`), packing of A and B blocks (`pack.py`), the
cache-blocked loops (`driver.py`), the split of large products over the thread pool
(`split.py`), the tile and block sizes per ISA (`params.py`), and the once-per-process compile
(`build.py`).

Entry points (registered with `llvm.add_symbol`, so every engine and cached object links them):

    i64 fj_gemm_f32(i64 m, i64 n, i64 k, ptr a, i64 lda, i64 trans_a,
                    ptr b, i64 ldb, i64 trans_b, ptr c, i64 ldc)      (and fj_gemm_f64)

row-major `C = A @ B` (see `driver.py`); returns 0 or the workspace bytes it could not
allocate. And, for fused elementwise epilogues (`matmul[epilogue=...]`):

    i64 fj_gemm_f32_epi(<the 11 arguments>, ptr epilogue, ptr ctx)     (and fj_gemm_f64_epi)

which calls `void epilogue(ptr ctx, ptr c, i64 ldc, i64 row0, i64 col0, i64 rows, i64 cols)`
once on each finished block `C[row0:row0+rows, col0:col0+cols]` (`c` points at its first
element), after the block's last k step while it is still in cache, on whichever thread
computed it; the blocks cover C exactly once. And for the commonest epilogues, applied in
registers by the kernels before C is stored (no second pass over C):

    i64 fj_gemm_f32_post(<the 13 arguments>, ptr bias, i64 relu)      (and fj_gemm_f64_post)

`C = maximum(A @ B + bias, 0)`, the bias (a row of n elements, or null) and the ReLU each
optional (see `codegen/lowering/epilogue.post_ops`). A null `epilogue` is the plain gemm. Built for AVX-512F (16 x f32 / 8 x f64 vectors) or AVX2+FMA (8 x f32 / 4 x f64);
without either, `available()` is False and matmul keeps calling BLAS.
`FLOWJIT_GEMM=blas` (read at each compile) makes matmul call BLAS anyway.
"""

from __future__ import annotations

import os

import numpy as np

from . import params

_NAMES = {np.dtype(np.float32): "f32", np.dtype(np.float64): "f64"}


def dtype_name(dtype) -> str | None:
    return _NAMES.get(np.dtype(dtype))


def available(dtype) -> bool:
    """Whether matmul of `dtype` uses this gemm (host ISA, dtype, `FLOWJIT_GEMM`)."""
    name = dtype_name(dtype)
    if name is None or os.environ.get("FLOWJIT_GEMM", "").strip().lower() == "blas":
        return False
    return params.blocking(name) is not None


def symbol(dtype) -> str:
    return f"fj_gemm_{dtype_name(dtype)}"


def epilogue_symbol(dtype) -> str:
    """The entry point taking an epilogue (`fj_gemm_<dtype>_epi`)."""
    return f"fj_gemm_{dtype_name(dtype)}_epi"


def post_symbol(dtype) -> str:
    """The entry point taking an epilogue and the in-register post-ops (`fj_gemm_<dtype>_post`:
    the `_epi` arguments, then `ptr bias, i64 relu`; see `driver.py`)."""
    return f"fj_gemm_{dtype_name(dtype)}_post"


def install(dtype) -> int:
    """Compile (once per process) and register the gemm for `dtype`; its address."""
    from . import build
    return build.install(dtype_name(dtype))


def install_for_object(data: bytes) -> None:
    """Register the gemm entry points that object code `data` (the disk cache) calls."""
    for name in ("f32", "f64"):
        if f"fj_gemm_{name}".encode() in data and params.blocking(name) is not None:
            from . import build
            build.install(name)


__all__ = ["available", "epilogue_symbol", "post_symbol", "install", "install_for_object", "symbol",
           "dtype_name"]
