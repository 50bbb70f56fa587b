"""Lowering of `matmul`: NumPy's gufunc `(n?,k),(k,m?)->(n?,m?)` with broadcast batch axes.

float32/float64 (both operands of the result's dtype) call flowjit's own gemm
(`codegen/gemm`: LLVM IR generated for the host's AVX-512 or AVX2 vectors, compiled once per
process, registered as `fj_gemm_f32`/`fj_gemm_f64`), a row-major `C = A @ B` that reads a
transposed operand (`transpose_a`/`transpose_b`) in place. Without AVX2+FMA, or with
`FLOWJIT_GEMM=blas`, they call BLAS `sgemm`/`dgemm` instead, as NumPy does: NumPy's bundled
OpenBLAS (`fj_[sd]gemm64`) or SciPy's `cython_blas` capsules (`fj_sgemm`/`fj_dgemm`), both
registered with `llvm.add_symbol`. Row-major C(n,m) = A(n,k) B(k,m) is column-major
C^T = B^T A^T, so that call is `gemm('N', 'N', m, n, k, 1, B, m, A, k, 0, C, m)`. Batched
operands loop over the batch, one gemm per matrix.
Other dtypes accumulate each output row in i-k-j order (the inner loop runs along contiguous
rows of `b` and of the output, so it vectorizes without reassociating a float sum). The gemms'
summation orders differ from a loop's (and from each other's): float results agree to
rounding, ints exactly. flowjit's gemm sums each element in k order with FMAs, whatever the
blocking or thread count (large products run on flowjit's thread pool), so its results are
deterministic.
BLAS threads: SciPy's OpenBLAS sizes its own pool (OPENBLAS_NUM_THREADS); flowjit's parallel
elementwise loops never run while a gemm runs (ops execute one after another).
"""

from __future__ import annotations

import ctypes
import functools
import importlib
import importlib.machinery
import importlib.util
import os
import sys

import llvmlite.binding as llvm
import llvmlite.ir as ir
import numpy as np

from ..llvmtypes import F32, F64, I32, I64, I8, PTR

from ...ir.core import Op
from .. import abi, gemm
from ..llvmtypes import cast, const, i64, load, store
from ..loops import broadcast_loop, for_range
from ..lower import FunctionLowering, lowers
from . import epilogue
from .scalar import RULES, ScalarOp


BLAS_SYMBOLS = {np.dtype(np.float32): "fj_sgemm", np.dtype(np.float64): "fj_dgemm"}


def _load_cython_blas():
    """`scipy.linalg.cython_blas` without running `scipy.linalg/__init__` (that package
    import costs ~150 ms; the extension module alone ~20 ms, most of it OpenBLAS loading).
    The module is registered under its own name, so a later `import scipy.linalg` uses it."""
    name = "scipy.linalg.cython_blas"
    if name in sys.modules or "scipy.linalg" in sys.modules:
        return importlib.import_module(name)
    import scipy
    folder = os.path.join(os.path.dirname(scipy.__file__), "linalg")
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = os.path.join(folder, "cython_blas" + suffix)
        if os.path.exists(path):
            break
    else:  # pragma: no cover - an unusual SciPy layout
        return importlib.import_module(name)
    loader = importlib.machinery.ExtensionFileLoader(name, path)
    spec = importlib.util.spec_from_file_location(name, path, loader=loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def _numpy_openblas() -> ctypes.CDLL | None:
    """NumPy's own OpenBLAS (the `scipy-openblas64` build NumPy wheels bundle, already loaded
    with NumPy), or None. Its ILP64 `scipy_sgemm_64_`/`scipy_dgemm_64_` are the gemm NumPy's
    `matmul` calls (the same kernels; results agree to rounding, not always bit for bit) and
    its small-matrix paths (newer than SciPy's OpenBLAS: 32x128x128 sgemm 11 us vs 13-19 us).
    No SciPy import at all on this path."""
    folder = os.path.join(os.path.dirname(os.path.dirname(np.__file__)), "numpy.libs")
    try:
        names = sorted(f for f in os.listdir(folder) if f.startswith("libscipy_openblas64_"))
    except OSError:
        return None
    for name in names:
        try:
            lib = ctypes.CDLL(os.path.join(folder, name))
            lib.scipy_sgemm_64_, lib.scipy_dgemm_64_
        except (OSError, AttributeError):
            continue
        return lib
    return None


#: The BLAS in use once `blas_available()` ran: JIT symbol per dtype and gemm's integer type.
BLAS = {"symbols": dict(BLAS_SYMBOLS), "int": I32}


@functools.cache
def blas_available() -> bool:
    """Register a gemm as JIT symbols once: NumPy's bundled OpenBLAS when present (ILP64,
    symbols `fj_sgemm64`/`fj_dgemm64`, so object code built for one BLAS never links against
    the other), else SciPy's sgemm/dgemm; False if neither exists."""
    lib = None if os.environ.get("FLOWJIT_BLAS") == "scipy" else _numpy_openblas()
    if lib is not None:
        for fn, symbol in ((lib.scipy_sgemm_64_, "fj_sgemm64"), (lib.scipy_dgemm_64_, "fj_dgemm64")):
            llvm.add_symbol(symbol, ctypes.cast(fn, ctypes.c_void_p).value)
        BLAS["symbols"] = {np.dtype(np.float32): "fj_sgemm64", np.dtype(np.float64): "fj_dgemm64"}
        BLAS["int"] = I64
        return True
    try:
        cython_blas = _load_cython_blas()
    except ImportError:  # pragma: no cover - scipy is a dependency
        return False
    get_name = ctypes.pythonapi.PyCapsule_GetName
    get_name.restype, get_name.argtypes = ctypes.c_char_p, [ctypes.py_object]
    get_ptr = ctypes.pythonapi.PyCapsule_GetPointer
    get_ptr.restype, get_ptr.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
    for blas_name, symbol in (("sgemm", "fj_sgemm"), ("dgemm", "fj_dgemm")):
        capsule = cython_blas.__pyx_capi__[blas_name]
        llvm.add_symbol(symbol, get_ptr(capsule, get_name(capsule)))
    return True


def _float_gemm(a, bv, r) -> bool:
    dt = r.type.dtype
    return dt in BLAS_SYMBOLS and a.type.dtype == dt and bv.type.dtype == dt


def _use_blas(a, bv, r) -> bool:
    return _float_gemm(a, bv, r) and blas_available()


def link_symbols(obj: bytes) -> None:
    """Register the gemm/BLAS symbols that object code `obj` (from the disk cache) calls, so
    that loading it finds them (MCJIT aborts the process on an unresolved symbol)."""
    gemm.install_for_object(obj)
    if b"fj_sgemm" in obj or b"fj_dgemm" in obj:
        blas_available()


def _matrix_vector(fl: FunctionLowering, op: Op) -> bool:
    """Whether the product is statically a matrix-vector one (a 1-d operand, or a matrix with
    one row on the left or one column on the right). Those go to BLAS (gemv-like paths):
    flowjit's gemm would fill one lane of its 32-wide or one row of its 11-row tiles
    (measured: 2000 x 2000 @ 2000 float32 1.4 ms against BLAS's 0.15 ms)."""
    *_, a_t, b_t, _, _ = _logical_shapes(fl, op)
    return a_t[-2] == 1 or b_t[-1] == 1


def _gemm_matmul(fl: FunctionLowering, op: Op, a, bv, r, epi=None, post=None) -> None:
    """One call of `fj_gemm_<dtype>` per matrix of the batch (row-major, `codegen/gemm`);
    with `epi = (function, ctx)` (a 2-d product with a fused epilogue) one call of
    `fj_gemm_<dtype>_epi`, which runs the epilogue on each block it finishes; with
    `post = (bias ptr or null, relu i64)` (an epilogue that `epilogue.post_ops` recognizes)
    one call of `fj_gemm_<dtype>_post`, whose kernels apply it in registers."""
    b = fl.builder
    dt = r.type.dtype
    fty = F32 if dt == np.float32 else F64
    gemm.install(dt)       # the symbol must exist before any engine links this module
    args = [I64, I64, I64, PTR, I64, I64, PTR, I64, I64, PTR, I64]
    if post is not None:
        call = fl.function(gemm.post_symbol(dt), I64, args + [PTR, PTR, PTR, I64])
        epi = (ir.Constant(PTR, None), ir.Constant(PTR, None)) + tuple(post)
    elif epi is None:
        call = fl.function(gemm.symbol(dt), I64, args)
    else:
        call = fl.function(gemm.epilogue_symbol(dt), I64, args + [PTR, PTR])
    n, k, m, ta, tb, batch_sizes, batch_layouts = _geometry(fl, op)
    scalar_out = not r.type.ndim
    dst = fl.alloca(fty) if scalar_out else fl.alloc(r)
    pa, pb = fl.get(a), fl.get(bv)
    # The buffers' row strides: A is (n, k) or, transposed, holds A^T (k, n); B likewise.
    lda, ldb = (n if ta else k), (k if tb else m)
    nm, nk, km = b.mul(n, m), b.mul(n, k), b.mul(k, m)

    def body(offsets):
        ao, bo, oo = (b.mul(offsets[0], nk), b.mul(offsets[1], km), b.mul(offsets[2], nm))
        ea = b.gep(pa, [ao], source_etype=fty, inbounds=True)
        eb = b.gep(pb, [bo], source_etype=fty, inbounds=True)
        ec = dst if scalar_out else b.gep(dst, [oo], source_etype=fty, inbounds=True)
        status = b.call(call, [n, m, k, ea, lda, i64(int(ta)), eb, ldb, i64(int(tb)), ec, m]
                        + ([] if epi is None else list(epi)))
        fl.check(b.icmp_signed("!=", status, i64(0)), abi.STATUS_MEMORY_ERROR, [status])

    broadcast_loop(b, batch_sizes, batch_layouts, body)
    if scalar_out:
        fl.bind(r, b.load(dst, typ=fty))


def _blas_matmul(fl: FunctionLowering, op: Op, a, bv, r) -> None:
    b = fl.builder
    dt = r.type.dtype
    fty = F32 if dt == np.float32 else F64
    gemm = fl.function(BLAS["symbols"][dt], ir.VoidType(), [PTR] * 13)
    n, k, m, ta, tb, batch_sizes, batch_layouts = _geometry(fl, op)
    scalar_out = not r.type.ndim
    dst = fl.alloca(fty) if scalar_out else fl.alloc(r)
    pa, pb = fl.get(a), fl.get(bv)

    def slot(ty, value):
        p = fl.alloca(ty)
        b.store(value, p)
        return p

    int_ty = BLAS["int"]

    def i32(v):   # gemm's integer type: i32 (SciPy's LP64) or i64 (NumPy's ILP64 build)
        return v if int_ty == I64 else b.trunc(v, I32)

    def at_least_1(v):
        return b.select(b.icmp_signed("<", v, i64(1)), i64(1), v)

    # A transposed operand (`transpose_a`/`transpose_b`) is read in place with 'T': `a`'s
    # buffer then holds A^T (k, n) row-major, which column-major BLAS sees as A (ld n).
    trans_b = slot(I8, ir.Constant(I8, ord("T" if tb else "N")))
    trans_a = slot(I8, ir.Constant(I8, ord("T" if ta else "N")))
    pm, pn, pk = slot(int_ty, i32(m)), slot(int_ty, i32(n)), slot(int_ty, i32(k))
    ldb, lda, ldc = (slot(int_ty, i32(at_least_1(k if tb else m))),
                     slot(int_ty, i32(at_least_1(n if ta else k))),
                     slot(int_ty, i32(at_least_1(m))))
    alpha, beta = slot(fty, ir.Constant(fty, 1.0)), slot(fty, ir.Constant(fty, 0.0))
    nm, nk, km = b.mul(n, m), b.mul(n, k), b.mul(k, m)

    def body(offsets):
        ao, bo, oo = (b.mul(offsets[0], nk), b.mul(offsets[1], km), b.mul(offsets[2], nm))
        ea = b.gep(pa, [ao], source_etype=fty, inbounds=True)
        eb = b.gep(pb, [bo], source_etype=fty, inbounds=True)
        ec = dst if scalar_out else b.gep(dst, [oo], source_etype=fty, inbounds=True)
        b.call(gemm, [trans_b, trans_a, pm, pn, pk, alpha, eb, ldb, ea, lda, beta, ec, ldc])

    broadcast_loop(b, batch_sizes, batch_layouts, body)
    if scalar_out:
        fl.bind(r, b.load(dst, typ=fty))


@lowers("matmul")
def lower_matmul(fl: FunctionLowering, op: Op) -> None:
    """The product (gemm, BLAS or loops), then a fused `epilogue` (a 2-d product only): inside
    flowjit's gemm, on each block it finishes; after BLAS or the loops, over the whole
    result in place (`epilogue.py`). The result's buffer holds the product first."""
    a, bv = op.operands[:2]
    r = op.results[0]
    fused = "epilogue" in op.attrs
    if _float_gemm(a, bv, r) and gemm.available(r.type.dtype) and not (
            _matrix_vector(fl, op) and blas_available()):
        post = epilogue.post_ops(op) if fused else None
        if post is not None:
            bias, relu = post
            _gemm_matmul(fl, op, a, bv, r, post=(
                ir.Constant(PTR, None) if bias is None else fl.get(bias), i64(int(relu))))
            return
        outlined = epilogue.outline(fl, op) if fused else None
        epi = None if outlined is None else (outlined[0], epilogue.context(fl, outlined[1]))
        _gemm_matmul(fl, op, a, bv, r, epi)
        if fused and epi is None:
            _inline_epilogue(fl, op)
        return
    if _use_blas(a, bv, r):
        _blas_matmul(fl, op, a, bv, r)
    else:
        _loop_matmul(fl, op, a, bv, r)
    if fused:
        _inline_epilogue(fl, op)


def _inline_epilogue(fl: FunctionLowering, op: Op) -> None:
    rows, cols = fl.shape(op.results[0].type)
    epilogue.emit_inline(fl, op, fl.get(op.results[0]), rows, cols)


def _loop_matmul(fl: FunctionLowering, op: Op, a, bv, r) -> None:
    """Other dtypes: each output row accumulated in i-k-j order (module docstring)."""
    b = fl.builder
    dt = r.type.dtype
    add = RULES["add"][dt.kind]
    mul = RULES["multiply"][dt.kind]
    sop = ScalarOp("matmul", (dt, dt), dt)
    n, k, m, ta, tb, batch_sizes, batch_layouts = _geometry(fl, op)
    pa, pb = fl.get(a), fl.get(bv)
    zero = const(dt, 0)
    scalar_out = not r.type.ndim
    dst = fl.alloca(fl_type(dt)) if scalar_out else fl.alloc(r)
    nm, nk, km = b.mul(n, m), b.mul(n, k), b.mul(k, m)

    def body(offsets):
        ao, bo, oo = (b.mul(offsets[0], nk), b.mul(offsets[1], km), b.mul(offsets[2], nm))
        with for_range(b, n, name="mi") as i:
            row = b.add(oo, b.mul(i, m))
            with for_range(b, m, name="mj0") as j:
                _store(b, zero, dst, dt, b.add(row, j), scalar_out)
            with for_range(b, k, name="mk") as kk:
                a_at = b.add(b.mul(kk, n), i) if ta else b.add(b.mul(i, k), kk)
                x = cast(b, load(b, pa, a.type.dtype, b.add(ao, a_at)), a.type.dtype, dt)
                brow = b.add(bo, b.mul(kk, m))
                with for_range(b, m, name="mj") as j:
                    b_at = b.add(bo, b.add(b.mul(j, k), kk)) if tb else b.add(brow, j)
                    y = cast(b, load(b, pb, bv.type.dtype, b_at), bv.type.dtype, dt)
                    at = b.add(row, j)
                    acc = _load(b, dst, dt, at, scalar_out)
                    _store(b, add(fl, [acc, mul(fl, [x, y], sop)], sop), dst, dt, at, scalar_out)

    broadcast_loop(b, batch_sizes, batch_layouts, body)
    if scalar_out:
        fl.bind(r, b.load(dst, typ=fl_type(dt)))


def _geometry(fl: FunctionLowering, op: Op):
    """`(n, k, m, transpose_a, transpose_b, batch_sizes, batch_layouts)` of a matmul: the
    (n, k) @ (k, m) core, the broadcast batch dimensions, and for `broadcast_loop` the
    per-operand batch layouts (a, b, out), where a size-1 (broadcast) axis is None."""
    a_shape, b_shape, a_t, b_t, ta, tb = _logical_shapes(fl, op)
    n, k, m = a_shape[-2], a_shape[-1], b_shape[-1]
    batch_nd = max(len(a_shape), len(b_shape)) - 2
    batches = ((a_shape[:-2], a_t[:-2]), (b_shape[:-2], b_t[:-2]))

    def layout(sizes, static):
        pad = batch_nd - len(sizes)
        return [None if d < pad or static[d - pad] == 1 else sizes[d - pad]
                for d in range(batch_nd)]

    batch_sizes = []
    for d in range(batch_nd):
        cands = [s[d - (batch_nd - len(s))] for s, st in batches
                 if d - (batch_nd - len(s)) >= 0 and st[d - (batch_nd - len(s))] != 1]
        batch_sizes.append(cands[0] if cands else i64(1))
    layouts = [layout(*batches[0]), layout(*batches[1]), batch_sizes]
    return n, k, m, ta, tb, batch_sizes, layouts


def _logical_shapes(fl: FunctionLowering, op: Op):
    """The operands' shapes as matmul sees them (run-time values and static entries): 1-d
    operands as a row vector (a) and a column vector (b), as NumPy promotes them, and a
    2-d operand flagged `transpose_a`/`transpose_b` as its transpose. Also the two flags."""
    a, bv = op.operands[:2]
    ta, tb = bool(op.attrs.get("transpose_a")), bool(op.attrs.get("transpose_b"))
    a_shape, b_shape = fl.shape(a.type), fl.shape(bv.type)
    a_t, b_t = list(a.type.shape), list(bv.type.shape)
    if ta:
        a_shape, a_t = a_shape[::-1], a_t[::-1]
    if tb:
        b_shape, b_t = b_shape[::-1], b_t[::-1]
    if a.type.ndim == 1:
        a_shape, a_t = [i64(1)] + a_shape, [1] + a_t
    if bv.type.ndim == 1:
        b_shape, b_t = b_shape + [i64(1)], b_t + [1]
    return a_shape, b_shape, a_t, b_t, ta, tb


def fl_type(dt):
    from ..llvmtypes import reg_type
    return reg_type(dt)


def _load(b, p, dt, at, scalar):
    return b.load(p, typ=fl_type(dt)) if scalar else load(b, p, dt, at)


def _store(b, v, p, dt, at, scalar):
    if scalar:
        b.store(v, p)
    else:
        store(b, v, p, dt, at)
