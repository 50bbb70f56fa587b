"""NumPy dtype -> LLVM type tables, constants, element loads/stores and dtype casts."""

from __future__ import annotations

import llvmlite.ir as ir
import numpy as np

from ..ir import types as T

I1, I8, I32, I64 = ir.IntType(1), ir.IntType(8), ir.IntType(32), ir.IntType(64)
F32, F64 = ir.FloatType(), ir.DoubleType()
PTR = ir.PointerType()

#: dtype -> the LLVM type of a value in a register (bool is `i1`).
REGISTER_TYPES = {T.BOOL: I1, T.INT32: I32, T.INT64: I64, T.FLOAT32: F32, T.FLOAT64: F64}

#: dtype -> the LLVM type of an element in memory (NumPy's bool is one byte).
MEMORY_TYPES = {T.BOOL: I8, T.INT32: I32, T.INT64: I64, T.FLOAT32: F32, T.FLOAT64: F64}


def reg_type(dtype: np.dtype) -> ir.Type:
    return REGISTER_TYPES[np.dtype(dtype)]


def mem_type(dtype: np.dtype) -> ir.Type:
    return MEMORY_TYPES[np.dtype(dtype)]


def like(shape_of: ir.Type, ty: ir.Type) -> ir.Type:
    """`ty`, or a vector of `ty` as long as `shape_of` if that is a vector type: the scalar
    rules also run on vectors, one lane per loop iteration (codegen/lowering/lanes.py)."""
    return ir.VectorType(ty, shape_of.count) if isinstance(shape_of, ir.VectorType) else ty


def element_type(ty: ir.Type) -> ir.Type:
    """The element type of a vector type; any other type itself."""
    return ty.element if isinstance(ty, ir.VectorType) else ty


def const(dtype: np.dtype, value) -> ir.Constant:
    """The register constant of `value` converted to `dtype` as NumPy converts it."""
    dtype = np.dtype(dtype)
    v = np.asarray(value).astype(dtype).item()
    return ir.Constant(reg_type(dtype), int(v) if dtype.kind in "bi" else float(v))


def i64(value: int) -> ir.Constant:
    return ir.Constant(I64, int(value))


def element_ptr(builder: ir.IRBuilder, base, dtype: np.dtype, index) -> ir.Value:
    """Address of element `index` (i64) of a C-contiguous buffer of `dtype`."""
    return builder.gep(base, [index], inbounds=True, source_etype=mem_type(dtype))


def load(builder: ir.IRBuilder, base, dtype: np.dtype, index=None) -> ir.Value:
    """Load element `index` (default: the first) as a register value (bool -> i1)."""
    p = base if index is None else element_ptr(builder, base, dtype, index)
    v = builder.load(p, typ=mem_type(dtype))
    if np.dtype(dtype) == T.BOOL:
        # NumPy stores bools as bytes 0/1, but any non-zero byte is True.
        return builder.icmp_unsigned("!=", v, ir.Constant(I8, 0))
    return v


def store(builder: ir.IRBuilder, value, base, dtype: np.dtype, index=None) -> None:
    """Store a register value as element `index` (default: the first)."""
    p = base if index is None else element_ptr(builder, base, dtype, index)
    if np.dtype(dtype) == T.BOOL:
        value = builder.zext(value, I8)
    builder.store(value, p)


def _float_to_int(builder, x, src, dst):
    # fptosi is poison out of range (LangRef); NumPy on x86 gives the "integer indefinite"
    # INT_MIN for NaN and out-of-range values (SEMANTICS.md trap 7), so select it explicitly.
    bits = dst.itemsize * 8
    ty = like(x.type, reg_type(dst))
    lo = ir.Constant(x.type, -(2.0 ** (bits - 1)))
    hi = ir.Constant(x.type, 2.0 ** (bits - 1))
    in_range = builder.and_(builder.fcmp_ordered(">=", x, lo), builder.fcmp_ordered("<", x, hi))
    return builder.select(in_range, builder.fptosi(x, ty), ir.Constant(ty, -(1 << (bits - 1))))


def _int_to_int(builder, x, src, dst):
    if dst.itemsize > src.itemsize:
        return builder.sext(x, like(x.type, reg_type(dst)))
    return builder.trunc(x, like(x.type, reg_type(dst)))


def _float_to_float(builder, x, src, dst):
    if dst.itemsize > src.itemsize:
        return builder.fpext(x, like(x.type, reg_type(dst)))
    return builder.fptrunc(x, like(x.type, reg_type(dst)))


#: (source kind, destination kind) -> cast rule; kinds are NumPy's 'b', 'i', 'f'.
CASTS = {
    ("b", "i"): lambda b, x, s, d: b.zext(x, like(x.type, reg_type(d))),
    ("b", "f"): lambda b, x, s, d: b.uitofp(x, like(x.type, reg_type(d))),
    ("i", "b"): lambda b, x, s, d: b.icmp_signed("!=", x, ir.Constant(x.type, 0)),
    ("i", "i"): _int_to_int,
    ("i", "f"): lambda b, x, s, d: b.sitofp(x, like(x.type, reg_type(d))),
    # NaN is truthy (NumPy: `np.array([nan]).astype(bool)` is True): unordered-or-not-equal.
    ("f", "b"): lambda b, x, s, d: b.fcmp_unordered("!=", x, ir.Constant(x.type, 0.0)),
    ("f", "i"): _float_to_int,
    ("f", "f"): _float_to_float,
}


def cast(builder: ir.IRBuilder, x: ir.Value, src: np.dtype, dst: np.dtype) -> ir.Value:
    """Convert register value `x` (or a vector of them) from `src` to `dst` as NumPy's
    `astype` does."""
    src, dst = np.dtype(src), np.dtype(dst)
    if src == dst:
        return x
    return CASTS[(src.kind, dst.kind)](builder, x, src, dst)
