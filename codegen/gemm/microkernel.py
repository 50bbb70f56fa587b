"""The register-tile kernel: `C[0:mr, 0:nr] (+)= A[0:mr, 0:kc] @ B[0:kc, 0:nr]`.

This is BLIS's micro-kernel (Goto & van de Geijn, "Anatomy of High-Performance Matrix
Multiplication", ACM TOMS 34(3), 2008, section 4; Van Zee & van de Geijn, "BLIS", TOMS 2015)
written for row-major C: the `mr x nv` accumulators are `nv` SIMD vectors along a row of C
(`nr = nv * lanes` columns) for each of `mr` rows. Each step of the k loop loads the `nv`
vectors of one row of B and, for every row r, broadcasts the scalar A[r, k] and issues `nv`
FMAs into row r's accumulators: `mr * nv` independent FMA chains hide the FMA latency, and
every loaded B vector is used `mr` times, every broadcast `nv` times (so the loads stay well
below the FMA rate). The tile lives in registers for the whole k loop; C is read (only when
accumulating onto an earlier k block) and written once.

Generated function (internal linkage):

    void uk(i64 kc, ptr a, ptr b, i64 rsb, ptr c, i64 ldc, i64 m_rem, i64 n_rem, i1 accumulate,
            <ptr pack>, <ptr bias, i1 relu>, i64 rsa, i64 csa)

- `a`: the A panel; A[r, k] is at element `r * rsa + k * csa`: `(stride, 1)` for the row
  panels `pack.py` makes, `(lda, 1)` for a row-major A read in place, `(1, lda)` for a
  transposed one read in place (its `mr` values of each k step are then adjacent, as in
  BLIS's packed layout). All `mr` rows must be readable (packing pads them with zeros), the
  results of rows `>= m_rem` are dropped.
- `b`: B[k, j] at element `k * rsb + j` (a packed panel, `rsb = nr`, or B itself, `rsb = ldb`).
  Lanes `j >= n_rem` are neither loaded nor stored (masked), so `b` may be the caller's buffer.
- `c`: C[r, j] at `r * ldc + j`; rows `< m_rem`, columns `< n_rem` are written.
- `accumulate`: start from C's values (a later k block: the FMA chain of each element simply
  continues, so the result does not depend on the blocking) instead of zeros.

The packing form (`pack_b=True`) takes one more argument, `ptr pack`: unless it is null, the
kernel also stores each row of B it loads at `pack + k * nr` (masked lanes as zeros), so the
first strip of tiles packs the B block it reads in place while computing, instead of a
separate copy pass. (A branch per k step; storing to a scratch row instead measured 12%
slower, a second kernel costs 9 ms of compile time.)

The post-op form (`post_ops=True`) takes two more arguments, `ptr bias, i1 relu`, and
applies `maximum(acc + bias[j], 0)` (each part optional: a null `bias`, a false `relu`) to
the finished accumulators before they are stored: the commonest matmul epilogue (a dense
layer's bias and ReLU) costs no second pass over C. (The driver passes them on the last k
block only.)

Summation order: every C element is `fma(A[r,k], B[k,j], acc)` for k = 0, 1, ... in order,
whatever the tile, blocking or thread: results are deterministic.
"""

from __future__ import annotations

import llvmlite.ir as ir

from ..llvmtypes import I1, I64, PTR, i64
from .vector import VectorKind

#: k-loop unroll factor (the loop counter and pointer updates are then amortized over
#: `UNROLL * mr * nv` FMAs; a remainder loop takes `kc % UNROLL` steps).
UNROLL = 1

KERNEL_ARGS = [I64, PTR, PTR, I64, PTR, I64, I64, I64, I1]


def emit_microkernel(module: ir.Module, name: str, vk: VectorKind, mr: int, nv: int,
                     pack_b: bool = False, post_ops: bool = False) -> ir.Function:
    """Define the `mr x (nv * lanes)` kernel `name`; with `pack_b`, the packing variant, with
    `post_ops`, the bias and ReLU arguments (module docstring). Returns the function."""
    args = KERNEL_ARGS + [PTR] * pack_b + [PTR, I1] * post_ops + [I64, I64]
    fn = ir.Function(module, ir.FunctionType(ir.VoidType(), args), name=name)
    fn.linkage = "internal"
    fn.attributes.add("nounwind")
    kc, a, bp, rsb, c, ldc, m_rem, n_rem, accumulate = fn.args[:9]
    pack = fn.args[9] if pack_b else None
    bias, relu = fn.args[9 + pack_b:11 + pack_b] if post_ops else (None, None)
    rsa, csa = fn.args[-2:]
    for arg, nm in zip(fn.args, ("kc", "a", "b", "rsb", "c", "ldc", "m_rem", "n_rem", "acc",
                                 *(("pack",) if pack_b else ()),
                                 *(("bias", "relu") if post_ops else ()), "rsa", "csa")):
        arg.name = nm
    for p in (a, bp, c, pack):
        if p is not None:
            p.add_attribute("noalias")
    nr = nv * vk.lanes

    entry = fn.append_basic_block("entry")
    b = ir.IRBuilder(entry)
    lanes = vk.lanes
    packing = b.icmp_unsigned("!=", pack, ir.Constant(PTR, None)) if pack_b else None
    col_masks = [vk.lane_mask(b, b.sub(n_rem, i64(v * lanes))) for v in range(nv)]
    a_rows = [b.mul(rsa, i64(r)) for r in range(mr)]

    def c_ptrs(bb: ir.IRBuilder):
        # Row pointers by repeated addition (no multiplies); recomputed where used, so they
        # are not live (in general registers) across the k loop.
        rows, p = [], c
        for r in range(mr):
            rows.append([vk.at(bb, p, v * lanes) for v in range(nv)])
            p = bb.gep(p, [ldc], source_etype=vk.elem)
        return rows

    # Initial tile: C's values when accumulating onto an earlier k block, else zeros.
    load_block = fn.append_basic_block("load_c")
    start = fn.append_basic_block("start")
    b.cbranch(accumulate, load_block, start)
    b.position_at_end(load_block)
    ptrs = c_ptrs(b)
    loaded = []
    for r in range(mr):
        row_ok = b.icmp_signed(">", m_rem, i64(r))
        loaded.append([vk.masked_load(b, ptrs[r][v], vk.mask_and(b, col_masks[v], row_ok))
                       for v in range(nv)])
    b.branch(start)
    b.position_at_end(start)
    acc0 = []
    for r in range(mr):
        row = []
        for v in range(nv):
            phi = b.phi(vk.ty)
            phi.add_incoming(vk.zero, entry)
            phi.add_incoming(loaded[r][v], load_block)
            row.append(phi)
        acc0.append(row)

    def step(bb: ir.IRBuilder, pa, pb, pp, acc):
        """One k step: `nv` B vectors, `mr` broadcasts, `mr * nv` FMAs."""
        bvec = [vk.masked_load(bb, vk.at(bb, pb, v * lanes), col_masks[v]) for v in range(nv)]
        if pp is not None:
            # Packing is a run-time choice (null `pack`: don't): one well-predicted branch
            # per k step, and one function to compile instead of two.
            with bb.if_then(packing):
                for v in range(nv):
                    vk.store(bb, bvec[v], vk.at(bb, pp, v * lanes))
        out = []
        for r in range(mr):
            s = bb.load(vk.at(bb, pa, a_rows[r]), typ=vk.elem)
            sv = vk.splat(bb, s)
            out.append([vk.fma(bb, sv, bvec[v], acc[r][v]) for v in range(nv)])
        return out

    def loop(bb: ir.IRBuilder, count, unroll: int, pa0, pb0, pp0, acc_in, label: str):
        """`count` iterations of `unroll` steps each; returns (pa, pb, pp, acc) after it."""
        pre = bb.block
        head = fn.append_basic_block(f"{label}.head")
        body = fn.append_basic_block(f"{label}.body")
        done = fn.append_basic_block(f"{label}.done")
        bb.branch(head)
        bb.position_at_end(head)
        i = bb.phi(I64, name=f"{label}.i")
        pa = bb.phi(PTR, name=f"{label}.pa")
        pb = bb.phi(PTR, name=f"{label}.pb")
        pp = bb.phi(PTR, name=f"{label}.pp") if pp0 is not None else None
        acc = [[bb.phi(vk.ty) for _ in range(nv)] for _ in range(mr)]
        i.add_incoming(i64(0), pre)
        pa.add_incoming(pa0, pre)
        pb.add_incoming(pb0, pre)
        if pp is not None:
            pp.add_incoming(pp0, pre)
        for r in range(mr):
            for v in range(nv):
                acc[r][v].add_incoming(acc_in[r][v], pre)
        bb.cbranch(bb.icmp_signed("<", i, count), body, done)
        bb.position_at_end(body)
        cur, qa, qb, qp = acc, pa, pb, pp
        for _ in range(unroll):
            cur = step(bb, qa, qb, qp, cur)
            qa = bb.gep(qa, [csa], source_etype=vk.elem)
            qb = bb.gep(qb, [rsb], source_etype=vk.elem)
            qp = vk.at(bb, qp, nr) if qp is not None else None
        i.add_incoming(bb.add(i, i64(1), flags=["nuw", "nsw"]), bb.block)
        pa.add_incoming(qa, bb.block)
        pb.add_incoming(qb, bb.block)
        if pp is not None:
            pp.add_incoming(qp, bb.block)
        for r in range(mr):
            for v in range(nv):
                acc[r][v].add_incoming(cur[r][v], bb.block)
        bb.branch(head)
        bb.position_at_end(done)
        return pa, pb, pp, acc

    if UNROLL == 1:
        pa, pb, pp, acc = loop(b, kc, 1, a, bp, pack, acc0, "k")
    else:
        main = b.sdiv(kc, i64(UNROLL))
        pa, pb, pp, acc = loop(b, main, UNROLL, a, bp, pack, acc0, "ku")
        pa, pb, pp, acc = loop(b, b.sub(kc, b.mul(main, i64(UNROLL))), 1, pa, pb, pp, acc,
                               "k1")

    if post_ops:
        acc = _post_ops(fn, b, vk, acc, bias, relu, col_masks)
    ptrs = c_ptrs(b)
    for r in range(mr):
        row_ok = b.icmp_signed(">", m_rem, i64(r))
        for v in range(nv):
            vk.masked_store(b, acc[r][v], ptrs[r][v], vk.mask_and(b, col_masks[v], row_ok))
    b.ret_void()
    return fn


def _post_ops(fn: ir.Function, b: ir.IRBuilder, vk: VectorKind, acc, bias, relu, col_masks):
    """The finished tile's `maximum(acc + bias[j], 0)` (either part optional: a null `bias`,
    a false `relu`), in registers. The same IEEE operations as the unfused `add` and
    `maximum`: NumPy's `maximum(x, 0)` keeps x when `x > 0` or x is NaN
    (`codegen/lowering/scalar.py`), which is one unordered compare, `x ugt 0`; so results
    are bit-identical to the unfused graph."""
    def stage(label, cond, apply):
        nonlocal acc
        before = b.block
        then = fn.append_basic_block(label)
        done = fn.append_basic_block(f"{label}.done")
        b.cbranch(cond, then, done)
        b.position_at_end(then)
        new = apply()
        then = b.block
        b.branch(done)
        b.position_at_end(done)
        merged = []
        for acc_r, new_r in zip(acc, new):
            phis = []
            for x, y in zip(acc_r, new_r):
                phi = b.phi(vk.ty)
                phi.add_incoming(x, before)
                phi.add_incoming(y, then)
                phis.append(phi)
            merged.append(phis)
        acc = merged

    def add_bias():
        row = [vk.masked_load(b, vk.at(b, bias, v * vk.lanes), col_masks[v])
               for v in range(len(col_masks))]
        return [[b.fadd(x, row[v]) for v, x in enumerate(acc_r)] for acc_r in acc]

    def apply_relu():
        return [[b.select(b.fcmp_unordered(">", x, vk.zero), x, vk.zero) for x in acc_r]
                for acc_r in acc]

    stage("bias", b.icmp_unsigned("!=", bias, ir.Constant(PTR, None)), add_bias)
    stage("relu", relu, apply_relu)
    return acc
