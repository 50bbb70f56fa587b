"""Packing: copies of blocks of A and B in the layout the micro-kernel reads.

Goto & van de Geijn ("Anatomy of High-Performance Matrix Multiplication", 2008, sections 5-6)
copy a `mc x kc` block of A and a `kc x nc` block of B into contiguous buffers before the
inner loops: the kernel then streams unit-stride memory (no TLB misses, no cache-set conflicts
from power-of-two leading dimensions), and the padding of edge panels with zeros lets the
kernel read whole panels. Both packers here read either operand layout (`trans` = the buffer
holds the transpose, as the `transpose_a`/`transpose_b` attributes of `matmul` say).

Layouts (element offsets into the buffer):
- A block (`pack_a`): row-major with the compile-time row stride `stride` (>= kc):
  A[ic + i, pc + p] at `i * stride + p`, for `i < ceil(mc / mr) * mr` (rows past `mc` are
  zeros). A plain row copy when A is row-major; the micro-kernel then broadcasts from `mr` row
  streams at constant displacements `r * stride` off one pointer.
- B block (`pack_b`): `nr`-wide column panels, each `kc x nr` row-major: B[pc + p, jc + j] at
  `(j // nr) * kc * nr + p * nr + j % nr`; columns past `nc` are zeros.
Generated functions (internal):
    void pack_a(ptr dst, ptr a, i64 lda, i1 trans, i64 ic, i64 pc, i64 mc, i64 kc)
    void pack_b(ptr dst, ptr b, i64 ldb, i1 trans, i64 pc, i64 jc, i64 kc, i64 nc)
"""

from __future__ import annotations

import llvmlite.ir as ir

from ..llvmtypes import I1, I64, PTR, i64
from .loops import counted
from .vector import VectorKind


def _function(module: ir.Module, name: str, argnames: tuple[str, ...], types: list):
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), types), name=name)
    fn.linkage = "internal"
    fn.attributes.add("nounwind")
    # Copies are memory-bound: instruction selection at -O0 costs them nothing measurable
    # (512^3 with both operands transposed, kmeans) and saves 5 ms of the module's compile.
    fn.attributes.add("optnone")
    fn.attributes.add("noinline")
    for arg, nm in zip(fn.args, argnames):
        arg.name = nm
    return fn, ir.IRBuilder(fn.append_basic_block("entry"))


def copy_row(b: ir.IRBuilder, vk: VectorKind, dst, src, count) -> None:
    """`dst[0:count] = src[0:count]`, whole vectors then one masked vector."""
    lanes = vk.lanes
    full = b.mul(b.sdiv(count, i64(lanes)), i64(lanes))
    with counted(b, 0, full, lanes, "cp") as j:
        vk.store(b, vk.load(b, vk.at(b, src, j)), vk.at(b, dst, j))
    rest = b.sub(count, full)
    with b.if_then(b.icmp_signed(">", rest, i64(0))):
        m = vk.lane_mask(b, rest)
        vk.masked_store(b, vk.masked_load(b, vk.at(b, src, full), m), vk.at(b, dst, full), m)


def zero_row(b: ir.IRBuilder, vk: VectorKind, dst, count) -> None:
    """`dst[0:count] = 0`."""
    lanes = vk.lanes
    with counted(b, 0, count, lanes, "zr") as j:
        vk.masked_store(b, vk.zero, vk.at(b, dst, j), vk.lane_mask(b, b.sub(count, j)))


def emit_pack_a(module: ir.Module, name: str, vk: VectorKind, mr: int, stride: int,
                transpose: ir.Function):
    fn, b = _function(module, name, ("dst", "a", "lda", "trans", "ic", "pc", "mc", "kc"),
                      [PTR, PTR, I64, I1, I64, I64, I64, I64])
    dst, a, lda, trans, ic, pc, mc, kc = fn.args
    with b.if_else(trans) as (is_t, is_n):
        with is_n:
            # Row-major A: each row of the block is one contiguous copy.
            with counted(b, 0, mc, 1, "ar") as i:
                src = vk.at(b, a, b.add(b.mul(b.add(ic, i), lda), pc))
                copy_row(b, vk, vk.at(b, dst, b.mul(i, i64(stride))), src, kc)
        with is_t:
            # The buffer holds A^T (k x m): A[i, p] = a[p * lda + i]; the block of A^T
            # (kc x mc) is transposed into the block's rows.
            src = vk.at(b, a, b.add(b.mul(pc, lda), ic))
            b.call(transpose, [dst, i64(stride), src, lda, kc, mc, kc])
    # Zero rows up to the next multiple of mr (the kernel reads whole panels).
    padded = b.mul(b.sdiv(b.add(mc, i64(mr - 1)), i64(mr)), i64(mr))
    with counted(b, mc, padded, 1, "az") as i:
        zero_row(b, vk, vk.at(b, dst, b.mul(i, i64(stride))), kc)
    b.ret_void()
    return fn


def emit_pack_b(module: ir.Module, name: str, vk: VectorKind, nv: int,
                transpose: ir.Function):
    fn, b = _function(module, name, ("dst", "b", "ldb", "trans", "pc", "jc", "kc", "nc"),
                      [PTR, PTR, I64, I1, I64, I64, I64, I64])
    dst, src, ldb, trans, pc, jc, kc, nc = fn.args
    nr = nv * vk.lanes
    with counted(b, 0, nc, nr, "bj") as j:
        panel = vk.at(b, dst, b.mul(j, kc))           # panel j // nr starts at j * kc
        width = b.sub(nc, j)                          # columns left (> nr on full panels)
        with b.if_else(trans) as (is_t, is_n):
            with is_n:
                masks = [vk.lane_mask(b, b.sub(width, i64(v * vk.lanes))) for v in range(nv)]
                with counted(b, 0, kc, 1, "bp") as p:
                    row = vk.at(b, src, b.add(b.mul(b.add(pc, p), ldb), b.add(jc, j)))
                    out = vk.at(b, panel, b.mul(p, i64(nr)))
                    for v in range(nv):
                        x = vk.masked_load(b, vk.at(b, row, v * vk.lanes), masks[v])
                        vk.store(b, x, vk.at(b, out, v * vk.lanes))
            with is_t:
                # The buffer holds B^T (n x k): B[p, j] = b[j * ldb + p]; the panel's
                # (<= nr) rows of B^T are transposed into it, padding columns zeroed.
                cols = b.select(b.icmp_signed("<", width, i64(nr)), width, i64(nr))
                first = vk.at(b, src, b.add(b.mul(b.add(jc, j), ldb), pc))
                b.call(transpose, [panel, i64(nr), first, ldb, cols, kc, i64(nr)])
    b.ret_void()
    return fn


def emit_transpose(module: ir.Module, name: str, vk: VectorKind) -> ir.Function:
    """`void transpose(ptr dst, i64 dld, ptr src, i64 ld, i64 rows, i64 cols, i64 out_rows)`:
    `dst[j * dld + i] = src[i * ld + j]` for `j < cols`, `i < out_rows`, where source rows
    `i >= rows` read as zeros (padding). Each destination vector (`lanes` consecutive i) is
    one masked gather down a source column and one masked store: no access outside the two
    blocks. Measured on Zen 5, 512^3 float32 with both operands transposed: element copies
    +130 us over the untransposed product, gathers +95 us, an in-register butterfly of
    16 x 16 blocks (64 two-input shuffles) +0 us but 12 ms more compile time than this."""
    fn, b = _function(module, name, ("dst", "dld", "src", "ld", "rows", "cols", "out_rows"),
                      [PTR, I64, PTR, I64, I64, I64, I64])
    dst, dld, src, ld, rows, cols, out_rows = fn.args
    n = vk.lanes
    iota = ir.Constant(ir.VectorType(I64, n), list(range(n)))
    offsets = b.mul(iota, vk.splat_i64(b, ld))
    with counted(b, 0, out_rows, n, "ti") as i0:
        load_mask = vk.lane_mask(b, b.sub(rows, i0))
        store_mask = vk.lane_mask(b, b.sub(out_rows, i0))
        column = vk.at(b, src, b.mul(i0, ld))
        out = vk.at(b, dst, i0)
        with counted(b, 0, cols, 1, "tj") as j:
            x = vk.gather(b, vk.at(b, column, j), offsets, load_mask)
            vk.masked_store(b, x, b.gep(out, [b.mul(j, dld)], source_etype=vk.elem),
                            store_mask)
    b.ret_void()
    return fn
