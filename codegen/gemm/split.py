"""Large products on several threads: the entry point splits C into one block per thread.

`fj_gemm_<name>` runs the one-thread gemm (`driver.emit_serial`) directly unless the pool
(`codegen/parallel.py`) has more than one thread and the product has at least
`MIN_PARALLEL_MNK` multiply-adds. Then C is cut into `threads` blocks of whole column panels
(or, when C is taller than wide, of whole row panels) and `fj_parallel_for` runs one
`part(ctx, start, end)` call per block range; each part is a complete gemm of its block (its
own packing, its own workspace). The split is BLIS's parallelization of the jc loop (or ic
loop) with no shared packed buffers, so no barriers: the cost is that each thread packs the
shared operand again (measured: a few percent of a 512^3 product).

With an epilogue (`fj_gemm_<name>_epi`), each part's gemm calls it on its own finished blocks,
in whole-product coordinates (the part's offset is passed down), on its own thread.

Results do not depend on the thread count: every C element is the same FMA chain over k in
the same order wherever it is computed. With one thread, or when the pool is busy,
`fj_parallel_for` calls `part(ctx, 0, threads)` once: the whole product, as serially.
"""

from __future__ import annotations

import llvmlite.ir as ir

from ..llvmtypes import I64, PTR, i64
from .params import Blocking

#: m * n * k from which a product is split (2^24 flops: below, waking a thread and packing
#: the shared operand again cost more than the second core saves).
MIN_PARALLEL_MNK = 1 << 23

PARALLEL_FOR = "fj_parallel_for"
POOL_THREADS = "fj_pool_threads"     # the pool's thread count (registered by `build.py`)

# ctx slots (8 bytes each): the 15 arguments (the gemm's 11, the epilogue and its context,
# the bias and the ReLU flag), then the status, the split axis, the block size.
_ARGS = 15
_STATUS, _BY_COLS, _PER, _SLOTS = _ARGS, _ARGS + 1, _ARGS + 2, _ARGS + 3


def emit_entry(module: ir.Module, name: str, serial: ir.Function, cfg: Blocking,
               threaded: bool) -> ir.Function:
    """`i64 name(<11 gemm args>, ptr epi, ptr epi_ctx, ptr bias, i64 relu)` around `serial`
    (which also takes the row and column of its C in the whole product, for the epilogue and
    the bias: 0, 0 here, the block's origin in a part)."""
    fn = ir.Function(module, ir.FunctionType(I64, serial.function_type.args[:_ARGS]),
                     name=name)
    fn.attributes.add("nounwind")
    args = list(fn.args)
    for arg, nm in zip(args, ("m", "n", "k", "a", "lda", "ta", "b", "ldb", "tb", "c", "ldc",
                              "epi", "ectx", "bias", "relu")):
        arg.name = nm
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    whole = args + [i64(0), i64(0)]
    if not threaded:
        b.ret(b.call(serial, whole))
        return fn
    part = _emit_part(module, name, serial, cfg)
    m, n, k = args[0], args[1], args[2]
    threads_var = ir.GlobalVariable(module, I64, name=POOL_THREADS)   # external: the pool's
    pf = module.globals.get(PARALLEL_FOR) or ir.Function(
        module, ir.FunctionType(ir.VoidType(), [PTR, PTR, I64, I64]), name=PARALLEL_FOR)
    nt = b.load_atomic(threads_var, "monotonic", 8, typ=I64)
    mnk = b.mul(b.mul(m, n), k)    # sizes of real matrices: no overflow
    big = b.and_(b.icmp_signed(">", nt, i64(1)), b.icmp_signed(">=", mnk, i64(MIN_PARALLEL_MNK)))
    with b.if_then(b.not_(big)):
        b.ret(b.call(serial, whole))
    ctx = b.alloca(I64, size=_SLOTS)
    ctx.type = PTR      # an opaque pointer: slots hold pointers and integers
    for j, v in enumerate(args):
        b.store(v, b.gep(ctx, [i64(j)], source_etype=I64))
    b.store(i64(0), b.gep(ctx, [i64(_STATUS)], source_etype=I64))
    by_cols = b.icmp_signed(">=", n, m)
    length = b.select(by_cols, n, m)
    granule = b.select(by_cols, i64(cfg.nr), i64(cfg.mr))
    share = b.sdiv(b.add(length, b.sub(nt, i64(1))), nt)
    per = b.mul(b.sdiv(b.add(share, b.sub(granule, i64(1))), granule), granule)
    b.store(b.zext(by_cols, I64), b.gep(ctx, [i64(_BY_COLS)], source_etype=I64))
    b.store(per, b.gep(ctx, [i64(_PER)], source_etype=I64))
    b.call(pf, [part, ctx, nt, i64(1)])
    b.ret(b.load_atomic(b.gep(ctx, [i64(_STATUS)], source_etype=I64), "monotonic", 8, typ=I64))
    return fn


def _emit_part(module: ir.Module, name: str, serial: ir.Function, cfg: Blocking):
    """`void part(ptr ctx, i64 start, i64 end)`: the product's blocks `[start, end)`."""
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), [PTR, I64, I64]),
                     name=f"{name}_part")
    fn.linkage = "internal"
    fn.attributes.add("nounwind")
    ctx, start, end = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    types = [a.type for a in serial.args][:_ARGS]
    m, n, k, a, lda, ta, bp, ldb, tb, c, ldc, epi, ectx, bias, relu = [
        b.load(b.gep(ctx, [i64(j)], source_etype=I64), typ=t) for j, t in enumerate(types)]
    by_cols = b.icmp_signed("!=", b.load(b.gep(ctx, [i64(_BY_COLS)], source_etype=I64),
                                         typ=I64), i64(0))
    per = b.load(b.gep(ctx, [i64(_PER)], source_etype=I64), typ=I64)
    length = b.select(by_cols, n, m)
    lo = b.mul(start, per)
    hi0 = b.mul(end, per)
    hi = b.select(b.icmp_signed("<", hi0, length), hi0, length)
    with b.if_then(b.icmp_signed(">=", lo, hi)):
        b.ret_void()
    count = b.sub(hi, lo)
    elem = ir.FloatType() if cfg.name == "f32" else ir.DoubleType()
    t_a, t_b = b.icmp_signed("!=", ta, i64(0)), b.icmp_signed("!=", tb, i64(0))

    def at(p, index):
        return b.gep(p, [index], source_etype=elem)

    # Columns [lo, hi): B's columns (rows of B^T when transposed) and C's columns.
    col_b = at(bp, b.select(t_b, b.mul(lo, ldb), lo))
    col_c = at(c, lo)
    # Rows [lo, hi): A's rows (columns of A^T when transposed) and C's rows.
    row_a = at(a, b.select(t_a, lo, b.mul(lo, lda)))
    row_c = at(c, b.mul(lo, ldc))
    status = b.call(serial, [
        b.select(by_cols, m, count), b.select(by_cols, count, n), k,
        b.select(by_cols, a, row_a), lda, ta,
        b.select(by_cols, col_b, bp), ldb, tb,
        b.select(by_cols, col_c, row_c), ldc, epi, ectx, bias, relu,
        b.select(by_cols, i64(0), lo), b.select(by_cols, lo, i64(0))])
    with b.if_then(b.icmp_signed("!=", status, i64(0))):
        # (llvmlite's store_atomic needs typed pointers: an exchange stores atomically too)
        b.atomic_rmw("xchg", b.gep(ctx, [i64(_STATUS)], source_etype=I64), status, "monotonic")
    b.ret_void()
    return fn
