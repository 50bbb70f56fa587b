"""SIMD building blocks of the gemm kernels: one `VectorKind` per (element type, lanes).

Everything here emits plain LLVM vector IR (`<16 x float>`, `llvm.fma.*`, `llvm.masked.*`);
the X86 backend selects `vfmadd231ps zmm` (or `ymm` on AVX2), `vbroadcastss` folded into the
FMA's memory operand, and `vmovups` with an opmask register for the masked loads/stores.
A masked load or store never touches the masked-off lanes' memory (LangRef `llvm.masked.load`),
which is how edge tiles stay inside the caller's buffers.
"""

from __future__ import annotations

import llvmlite.ir as ir

from ..llvmtypes import F32, F64, I1, I32, I64, PTR, i64


class VectorKind:
    """`lanes` x `elem` (`float`/`double`) vectors and the intrinsics that use them, declared
    on first use in `module`."""

    def __init__(self, module: ir.Module, elem: ir.Type, lanes: int):
        self.module = module
        self.elem = elem
        self.lanes = lanes
        self.size = 4 if elem == F32 else 8           # bytes per element
        self.ty = ir.VectorType(elem, lanes)
        self.mask_ty = ir.VectorType(I1, lanes)
        self.zero = ir.Constant(self.ty, None)
        suffix = f"v{lanes}{'f32' if elem == F32 else 'f64'}"
        self._fma = self._declare(f"llvm.fma.{suffix}", self.ty, [self.ty] * 3)
        # The pre-LLVM-21 spelling with an explicit i32 alignment: LLVM 22 still parses it and
        # upgrades it to the `align` parameter attribute (llvmlite.ir cannot print the latter).
        self._mload = self._declare(f"llvm.masked.load.{suffix}.p0", self.ty,
                                    [PTR, I32, self.mask_ty, self.ty])
        self._mstore = self._declare(f"llvm.masked.store.{suffix}.p0", ir.VoidType(),
                                     [self.ty, PTR, I32, self.mask_ty])
        self.ptr_vec = ir.VectorType(PTR, lanes)
        self._gather = self._declare(f"llvm.masked.gather.{suffix}.v{lanes}p0", self.ty,
                                     [self.ptr_vec, I32, self.mask_ty, self.ty])

    def _declare(self, name: str, ret: ir.Type, args: list) -> ir.Function:
        fn = self.module.globals.get(name)
        if fn is None:
            fn = ir.Function(self.module, ir.FunctionType(ret, args), name=name)
        return fn

    # -- arithmetic ----------------------------------------------------------------------------
    def splat(self, b: ir.IRBuilder, scalar: ir.Value) -> ir.Value:
        v = b.insert_element(ir.Constant(self.ty, ir.Undefined), scalar, ir.Constant(I32, 0))
        return b.shuffle_vector(v, ir.Constant(self.ty, ir.Undefined),
                                ir.Constant(ir.VectorType(I32, self.lanes), [0] * self.lanes))

    def fma(self, b: ir.IRBuilder, x, y, acc) -> ir.Value:
        """`x * y + acc` rounded once (what BLAS kernels compute, too)."""
        return b.call(self._fma, [x, y, acc])

    # -- addresses, masks, memory --------------------------------------------------------------
    def at(self, b: ir.IRBuilder, base: ir.Value, index) -> ir.Value:
        """Address of element `index` (an int or i64 value) past `base`."""
        index = i64(index) if isinstance(index, int) else index
        return b.gep(base, [index], source_etype=self.elem)

    def lane_mask(self, b: ir.IRBuilder, count: ir.Value) -> ir.Value:
        """Lanes `[0, count)` on (any i64 `count`: <= 0 gives none, >= lanes all).

        Built as the integer `(1 << clamp(count)) - 1` bitcast to `<lanes x i1>` (one `kmovw`)
        rather than a compare of an index vector (a 1024-bit i64 vector compare, slow to
        select and to compile)."""
        lo = b.select(b.icmp_signed("<", count, i64(0)), i64(0), count)
        c = b.select(b.icmp_signed(">", lo, i64(self.lanes)), i64(self.lanes), lo)
        bits = b.sub(b.shl(i64(1), c), i64(1))
        return b.bitcast(b.trunc(bits, ir.IntType(self.lanes)), self.mask_ty)

    def splat_i64(self, b: ir.IRBuilder, scalar: ir.Value) -> ir.Value:
        ty = ir.VectorType(I64, self.lanes)
        v = b.insert_element(ir.Constant(ty, ir.Undefined), scalar, ir.Constant(I32, 0))
        return b.shuffle_vector(v, ir.Constant(ty, ir.Undefined),
                                ir.Constant(ir.VectorType(I32, self.lanes), [0] * self.lanes))

    def mask_and(self, b: ir.IRBuilder, mask: ir.Value, flag: ir.Value) -> ir.Value:
        """`mask` where the scalar i1 `flag` holds, else no lanes."""
        return b.select(flag, mask, ir.Constant(self.mask_ty, None))

    def load(self, b: ir.IRBuilder, p: ir.Value) -> ir.Value:
        return b.load(p, typ=self.ty, align=self.size)

    def store(self, b: ir.IRBuilder, v: ir.Value, p: ir.Value) -> None:
        b.store(v, p, align=self.size)

    def masked_load(self, b: ir.IRBuilder, p: ir.Value, mask: ir.Value) -> ir.Value:
        """The lanes of `mask` from memory, zeros elsewhere."""
        return b.call(self._mload, [p, ir.Constant(I32, self.size), mask, self.zero])

    def gather(self, b: ir.IRBuilder, base: ir.Value, offsets: ir.Value, mask: ir.Value):
        """The elements `base[offsets[l]]` of the lanes of `mask` (`offsets`: <lanes x i64>),
        zeros elsewhere; masked-off lanes are not read."""
        ptrs = b.gep(base, [offsets], source_etype=self.elem)
        ptrs.type = self.ptr_vec     # llvmlite types a GEP by its base; this one is a vector
        return b.call(self._gather, [ptrs, ir.Constant(I32, self.size), mask, self.zero])

    def masked_store(self, b: ir.IRBuilder, v: ir.Value, p: ir.Value, mask: ir.Value) -> None:
        b.call(self._mstore, [v, p, ir.Constant(I32, self.size), mask])


def vector_kind(module: ir.Module, elem: ir.Type, lanes: int) -> VectorKind:
    return VectorKind(module, elem, lanes)


__all__ = ["VectorKind", "vector_kind", "F32", "F64"]
