"""Lowering of the reductions `sum`, `max`, `min`, `mean` over any axes, with `keepdims`.

The iteration order follows NumPy's so float results match it closely (SEMANTICS.md trap 10):
the trailing run of reduced axes is contiguous and is reduced per output element as one block
(for float sums with NumPy's pairwise summation), and any other reduced axis accumulates
sequentially into the output, element by element, in index order, as NumPy's iterator does
(the inner loop then runs over a kept axis, so it vectorizes without reassociating floats).
"""

from __future__ import annotations

import functools
import math

import llvmlite.ir as ir
import numpy as np

from ...ir import types as T
from ...ir.core import Literal, Op
from ...ir.ops import registry as _registry
from ...ir.passes.fusion import reduction_axes
from .. import abi, parallel
from ..llvmtypes import (I64, PTR, cast, const, element_ptr, i64, load, mem_type, reg_type,
                         store)
from ..loops import broadcast_loop, for_range, strided_loop
from ..lower import FunctionLowering, lowers
from . import elementwise as _elementwise
from . import extremum as _extremum
from .scalar import RULES, ScalarOp, emit_scalar_op

#: Pairwise summation's block size and unroll factor (NumPy's PW_BLOCKSIZE and its 8 lanes).
PW_BLOCKSIZE = 128
PW_LANES = 8


def _identity(name: str, dtype: np.dtype) -> ir.Constant:
    """The value an output starts from: 0 for sums; for max/min, the value no element beats
    (-inf/inf, INT_MIN/INT_MAX, False/True), which gives NumPy's result on non-empty input."""
    if name in _IDENTITY:
        return const(dtype, _IDENTITY[name])
    lowest = name == "max"
    if dtype.kind == "f":
        return const(dtype, -np.inf if lowest else np.inf)
    if dtype.kind == "b":
        return const(dtype, not lowest)
    info = np.iinfo(dtype)
    return const(dtype, info.min if lowest else info.max)


_IDENTITY = {"sum": 0, "mean": 0, "prod": 1, "any": False, "all": True}

#: reduction -> the ufunc that combines two partial results.
COMBINE = {"sum": "add", "mean": "add", "prod": "multiply", "max": "maximum", "min": "minimum",
           "any": "bitwise_or", "all": "bitwise_and"}


def _combine_rule(name: str, dtype: np.dtype):
    if name in ("max", "min") and dtype.kind == "f":
        # `llvm.maximum`/`llvm.minimum` propagate NaN as NumPy's max/min do, and LLVM
        # vectorizes their reductions without fast-math (a select chain stays scalar). They
        # order -0.0 below 0.0; NumPy's own SIMD reductions give either zero on such ties.
        intrinsic = "maximum" if name == "max" else "minimum"
        return lambda fl, acc, x: fl.call_intrinsic(intrinsic, [acc, x])
    ufunc = COMBINE[name]
    rule = RULES[ufunc][dtype.kind]
    op = ScalarOp(ufunc, (dtype, dtype), dtype)
    return lambda fl, acc, x: rule(fl, [acc, x], op)


def _pairwise_function(fl: FunctionLowering, src: np.dtype, acc: np.dtype) -> ir.Function:
    """`acc @fj.pairwise.<src>.<acc>(ptr a, i64 n)`: NumPy's `pairwise_sum`
    (numpy/_core/src/umath/loops_utils.h.src) over `n` contiguous elements of dtype `src`,
    each cast to `acc`: below 8 elements a plain loop; up to 128 elements 8 accumulators
    combined as ((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7)) plus a sequential tail; above, split at
    n/2 rounded down to a multiple of 8 and recurse."""
    name = f"fj.pairwise.{src.name}.{acc.name}{'.fast' if fl.flags else ''}"
    existing = fl.module.globals.get(name)
    if existing is not None:
        return existing
    ty = reg_type(acc)
    fn = ir.Function(fl.module, ir.FunctionType(ty, [PTR, I64]), name=name)
    fn.linkage = "internal"
    fn.attributes.add("nounwind")
    a, n = fn.args
    a.add_attribute("captures(none)")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    saved, fl.builder = fl.builder, b
    try:
        def elem(i):
            return cast(b, load(b, a, src, i), src, acc)

        def add(x, y):
            return b.fadd(x, y, flags=fl.flags)

        small = fn.append_basic_block("small")
        not_small = fn.append_basic_block("not_small")
        block = fn.append_basic_block("block")
        split = fn.append_basic_block("split")
        # Stack slots in the entry block, so SROA turns them into registers.
        res, res2 = b.alloca(ty), b.alloca(ty)
        lanes = [b.alloca(ty) for _ in range(PW_LANES)]
        b.cbranch(b.icmp_signed("<", n, i64(PW_LANES)), small, not_small)

        b.position_at_end(small)
        b.store(ir.Constant(ty, 0.0), res)
        with for_range(b, n) as i:
            b.store(add(b.load(res, typ=ty), elem(i)), res)
        b.ret(b.load(res, typ=ty))

        b.position_at_end(not_small)
        b.cbranch(b.icmp_signed("<=", n, i64(PW_BLOCKSIZE)), block, split)

        b.position_at_end(block)
        for k, r in enumerate(lanes):
            b.store(elem(i64(k)), r)
        end8 = b.sub(n, b.srem(n, i64(PW_LANES)))
        # i runs over blocks of 8: for (i = 8; i < n - n % 8; i += 8).
        nblocks = b.sdiv(end8, i64(PW_LANES))
        with for_range(b, nblocks, start=i64(1), name="blk") as j:
            base = b.mul(j, i64(PW_LANES))
            for k, r in enumerate(lanes):
                b.store(add(b.load(r, typ=ty), elem(b.add(base, i64(k)))), r)
        v = [b.load(r, typ=ty) for r in lanes]
        total = add(add(add(v[0], v[1]), add(v[2], v[3])), add(add(v[4], v[5]), add(v[6], v[7])))
        b.store(total, res2)
        with for_range(b, n, start=end8, name="tail") as i:
            b.store(add(b.load(res2, typ=ty), elem(i)), res2)
        b.ret(b.load(res2, typ=ty))

        b.position_at_end(split)
        half = b.sdiv(n, i64(2))
        n2 = b.sub(half, b.srem(half, i64(PW_LANES)))
        left = b.call(fn, [a, n2])
        right = b.call(fn, [b.gep(a, [n2], inbounds=True, source_etype=_mem(src)), b.sub(n, n2)])
        b.ret(add(left, right))
    finally:
        fl.builder = saved
    return fn


#: Longest static length summed by straight-line code (`_pairwise_inline`).
PW_INLINE_MAX = 2048


def pairwise_sum(fl: FunctionLowering, base: ir.Value, count: ir.Value, src: np.dtype,
                 acc: np.dtype) -> ir.Value:
    """NumPy's pairwise sum of `count` contiguous `src` elements at `base`, as `acc`: inline
    straight-line code when `count` is a small compile-time constant (a fused row kernel's
    static row length), else a call of `_pairwise_function`."""
    if (isinstance(count, ir.Constant) and src == acc and acc.kind == "f"
            and 0 <= count.constant <= PW_INLINE_MAX):
        return _pairwise_inline(fl, base, int(count.constant), acc)
    return fl.builder.call(_pairwise_function(fl, src, acc), [base, count])


def _pairwise_tree(offset: int, n: int):
    """NumPy's pairwise recursion for a static `n`: ("small", off, n) below 8 elements,
    ("block", off, n) up to PW_BLOCKSIZE, else ("split", left, right)."""
    if n < PW_LANES:
        return ("small", offset, n)
    if n <= PW_BLOCKSIZE:
        return ("block", offset, n)
    n2 = n // 2
    n2 -= n2 % PW_LANES
    return ("split", _pairwise_tree(offset, n2), _pairwise_tree(offset + n2, n - n2))


def _pairwise_inline(fl: FunctionLowering, base: ir.Value, n: int, dtype: np.dtype):
    """`_pairwise_function`'s result for a static `n`, in straight-line code: the recursion is
    unfolded at compile time and each block's 8 accumulators are one <8 x T> vector, so the
    blocks' addition chains are independent and overlap (the recursive function runs them
    one after another, bound by the add latency: ~30% of a 1024-float row softmax). Every
    addition is NumPy's, in NumPy's order."""
    b = fl.builder
    ty = reg_type(dtype)
    vty = ir.VectorType(ty, PW_LANES)

    def add(x, y):
        return b.fadd(x, y, flags=fl.flags)

    def at(i):
        return b.gep(base, [i64(i)], source_etype=ty, inbounds=True)

    def scalar(i):
        return b.load(at(i), typ=ty)

    def node(t):
        kind = t[0]
        if kind == "split":
            return add(node(t[1]), node(t[2]))
        _, off, m = t
        if kind == "small":
            res = ir.Constant(ty, 0.0)
            for i in range(m):
                res = add(res, scalar(off + i))
            return res
        end8 = m - m % PW_LANES
        r = b.load(at(off), typ=vty, align=dtype.itemsize)
        for i in range(off + PW_LANES, off + end8, PW_LANES):
            r = add(r, b.load(at(i), typ=vty, align=dtype.itemsize))
        v = [b.extract_element(r, i64(k)) for k in range(PW_LANES)]
        res = add(add(add(v[0], v[1]), add(v[2], v[3])), add(add(v[4], v[5]), add(v[6], v[7])))
        for i in range(off + end8, off + m):
            res = add(res, scalar(i))
        return res

    return node(_pairwise_tree(0, n))


def _mem(dtype):
    from ..llvmtypes import mem_type
    return mem_type(dtype)


def _reduce_block(fl: FunctionLowering, name: str, base: ir.Value, count: ir.Value,
                  src: np.dtype, acc: np.dtype, combine) -> ir.Value:
    """The reduction of `count` contiguous elements at `base` (before combining with the
    output): pairwise for float sums, else a sequential loop (exact for ints and extrema)."""
    b = fl.builder
    if name in ("sum", "mean") and acc.kind == "f":
        return pairwise_sum(fl, base, count, src, acc)
    if _extremum.supported(name, src, acc):
        return _extremum.extremum(fl, name, base, count, acc, _identity(name, acc), combine)
    slot = fl.alloca(reg_type(acc))
    b.store(_identity(name, acc), slot)
    with for_range(b, count, name="red") as i:
        x = cast(b, load(b, base, src, i), src, acc)
        b.store(combine(fl, b.load(slot, typ=reg_type(acc)), x), slot)
    return b.load(slot, typ=reg_type(acc))


@lowers(*COMBINE)
def lower_reduction(fl: FunctionLowering, op: Op) -> None:
    (x,) = op.operands
    r = op.results[0]
    b = fl.builder
    axes = tuple(op.attrs["axis"])
    src, out = x.type.dtype, r.type.dtype
    # NumPy accumulates in the result dtype (sum of int32/bool in int64; mean of ints in
    # float64); max/min keep the input dtype.
    acc = out
    combine = _combine_rule(op.name, acc)
    shape = fl.shape(x.type)
    reduced = [shape[a] for a in axes]
    extent = functools.reduce(b.mul, reduced, i64(1)) if reduced else i64(1)
    static_extent = math.prod(x.type.shape[a] for a in axes) if all(
        isinstance(x.type.shape[a], int) for a in axes) else None

    if op.name in ("max", "min") and static_extent in (None, 0):
        fl.check(b.icmp_signed("==", extent, i64(0)), abi.STATUS_VALUE_ERROR,
                 [i64(abi.VE_EMPTY_MAX if op.name == "max" else abi.VE_EMPTY_MIN)])

    if r.type.ndim:
        dst = fl.alloc(r)
        with for_range(b, fl.size(r.type), name="init") as i:
            store(b, _identity(op.name, acc), dst, acc, i)
    else:
        dst = fl.alloca(reg_type(acc))
        b.store(_identity(op.name, acc), dst)

    def dst_ptr(offset):
        return dst if not r.type.ndim else fl_elem(dst, acc, offset)

    def fl_elem(p, dtype, offset):
        from ..llvmtypes import element_ptr
        return element_ptr(b, p, dtype, offset)

    def update(offset, value):
        p = dst_ptr(offset)
        if r.type.ndim:
            store(b, combine(fl, load(b, p, acc), value), p, acc)
        else:
            b.store(combine(fl, b.load(p, typ=reg_type(acc)), value), p)

    # The trailing run of reduced axes is reduced as one contiguous block.
    nd = x.type.ndim
    k = 0
    while k < nd and (nd - 1 - k) in axes:
        k += 1
    outer = list(range(nd - k))
    block = functools.reduce(b.mul, shape[nd - k:], i64(1)) if k else None
    in_layout = [shape[a] for a in outer]
    out_layout = [None if a in axes else shape[a] for a in outer]

    def body(offsets):
        in_off, out_off = offsets
        if block is not None:
            base = fl_elem(fl.get(x), src, b.mul(in_off, block))
            value = _reduce_block(fl, op.name, base, block, src, acc, combine)
        else:
            value = cast(b, load(b, fl.get(x), src, in_off), src, acc)
        update(out_off, value)

    if nd == 0:
        update(i64(0), cast(b, fl.get(x), src, acc))
    else:
        broadcast_loop(b, [shape[a] for a in outer], [in_layout, out_layout], body)

    if op.name == "mean":
        # NumPy's _mean: the sum divided by the element count (a Python int: weak, so the
        # division happens in the result dtype).
        count = b.sitofp(extent, reg_type(acc))
        if r.type.ndim:
            with for_range(b, fl.size(r.type), name="mean") as i:
                p = fl_elem(dst, acc, i)
                store(b, b.fdiv(load(b, p, acc), count, flags=fl.flags), p, acc)
        else:
            b.store(b.fdiv(b.load(dst, typ=reg_type(acc)), count, flags=fl.flags), dst)
    if not r.type.ndim:
        fl.bind(r, b.load(dst, typ=reg_type(acc)))


# -- fusion kernels with reductions ------------------------------------------------------------
#
# The fusion pass (`ir/passes/fusion.py`) lets `sum`/`max`/`min` over trailing axes join the
# kernel computing their operand, and elementwise ops that use a reduction's result as one
# value per row join that kernel too. Such a kernel runs row by row: an outer loop nest over
# the kept leading axes of the domain, and per row one inner loop ("phase") per reduction
# depth: phase p computes the elementwise ops whose inputs are ready once the reductions of
# the earlier phases are done, and feeds the reductions of depth p. Softmax is three phases
# of one kernel: max; exp(x - max) summed; exp(...) / sum, reading and writing the matrix once.
#
# Exactness: every reduction sees the same elements in the same order as the unfused lowering
# above. Max/min and integer sums accumulate sequentially in registers as `_reduce_block`
# does; a float sum calls the same pairwise function on a contiguous row: the operand's own
# row when it is an input of the full domain shape or a kernel output, else a row-sized
# scratch buffer the phase loop fills. Row values a later phase reads are kept the same way
# (never recomputed, so the work matches the unfused graph's). Rows stay in cache between
# phases.


#: Scratch rows up to this many bytes live on the stack; longer ones are malloc'ed per call.
MAX_STACK_ROW_BYTES = 1 << 16


def has_reduction(kernel) -> bool:
    return any(o.opdef.kind == _registry.REDUCTION for o in kernel.body.ops)


def _strides(fl: FunctionLowering, t: T.TensorType, domain: T.TensorType) -> list:
    """Per axis of `domain`, the element stride of a C-contiguous array of type `t`
    broadcast against it (NumPy's rule), None where it is broadcast."""
    n, pad = domain.ndim, domain.ndim - t.ndim
    sizes = fl.shape(t)
    out = []
    for d in range(n):
        k = d - pad
        if k < 0 or t.shape[k] == 1:
            out.append(None)
            continue
        s = i64(1)
        for m in sizes[k + 1:]:
            s = fl.builder.mul(s, m) if not (isinstance(s, ir.Constant) and isinstance(
                m, ir.Constant)) else i64(s.constant * m.constant)
        out.append(s)
    return out


def _product(b: ir.IRBuilder, values) -> ir.Value:
    out = i64(1)
    for v in values:
        if isinstance(out, ir.Constant) and isinstance(v, ir.Constant):
            out = i64(out.constant * v.constant)
        else:
            out = b.mul(out, v)
    return out


def lower_reduction_kernel(fl: FunctionLowering, op: Op) -> None:
    """Lower a `fusion` whose kernel holds reductions (see the comment above)."""
    b = fl.builder
    region = op.attrs["kernel"].body
    reds = [o for o in region.ops if o.opdef.kind == _registry.REDUCTION]
    axes = reduction_axes(reds[0])
    domain = reds[0].operands[0].type
    n, k = domain.ndim, len(axes)
    shape = fl.shape(domain)
    outer, inner = shape[:n - k], shape[n - k:]
    row_len = _product(b, inner)
    outer_ids = list(range(n - k))

    external = dict(zip(region.args, op.operands))
    for red in reds:
        if red.name in ("max", "min") and not all(
                isinstance(domain.shape[a], int) for a in axes):
            fl.check(b.icmp_signed("==", row_len, i64(0)), abi.STATUS_VALUE_ERROR,
                     [i64(abi.VE_EMPTY_MAX if red.name == "max" else abi.VE_EMPTY_MIN)])
            break

    # Phases: a reduction result is ready from the phase after its operand's; an elementwise
    # op runs in the first phase where all its operands are ready.
    ready: dict = {}     # kernel value -> phase from which it can be read
    row_phase: dict = {}  # elementwise result -> the phase computing it
    red_phase: dict = {}  # reduction op -> the phase feeding it
    for o in region.ops:
        ph = max((ready.get(v, 0) for v in o.operands), default=0)
        if o.opdef.kind == _registry.REDUCTION:
            red_phase[o] = ph
            ready[o.results[0]] = ph + 1
        else:
            row_phase[o.results[0]] = ph
            ready[o.results[0]] = ph
    phases = max(list(red_phase.values()) + list(row_phase.values())) + 1

    # Which row values need a row buffer: read by a later phase, or summed pairwise.
    pairwise = {o for o in reds if o.name == "sum" and o.results[0].type.dtype.kind == "f"}
    need_row: set = set()
    for o in region.ops:
        for v in o.operands:
            if v in row_phase and (o in pairwise or
                                   (o not in red_phase and row_phase[v] < ready[o.results[0]])):
                need_row.add(v)
        if o in pairwise and o.operands[0] in external:
            x = o.operands[0]
            if tuple(external[x].type.shape) != tuple(domain.shape):
                need_row.add(x)   # a broadcast input: copied into a scratch row

    # Streams: every buffer the loops index, with its strides over the domain's axes.
    yields = list(region.yields)
    streams: list[tuple] = []   # (key, base ptr, dtype, strides over all n axes)
    stream_of: dict = {}

    def add_stream(key, base, dtype, strides):
        stream_of[key] = len(streams)
        streams.append((key, base, dtype, strides))

    for a, v in external.items():
        if v.type.ndim:
            add_stream(a, fl.get(v), v.type.dtype, _strides(fl, v.type, domain))
    out_ptr: dict = {}
    for kv, r in zip(yields, op.results):
        if r.type.ndim:
            out_ptr[kv] = fl.alloc(r)
    full = _strides(fl, domain, domain)
    for kv in yields:
        if kv in row_phase and kv in out_ptr and kv not in stream_of:
            add_stream(kv, out_ptr[kv], kv.type.dtype, full)
    # Reduction outputs: one element per row, C order over the kept axes.
    row_strides = _strides(fl, T.TensorType(domain.dtype, tuple(domain.shape[:n - k])),
                           T.TensorType(domain.dtype, tuple(domain.shape[:n - k])))
    for kv in yields:
        if kv in ready and kv not in row_phase and kv in out_ptr:
            add_stream(kv, out_ptr[kv], kv.type.dtype, row_strides + [None] * k)
    inner_contig = _strides(fl, T.TensorType(domain.dtype, tuple(domain.shape[n - k:])),
                            T.TensorType(domain.dtype, tuple(domain.shape[n - k:])))
    scratch_frees = []
    for v in sorted(need_row, key=lambda v: list(region.ops).index(v.producer)
                    if v.producer is not None else -1):
        if v in stream_of and (v not in external or
                               tuple(external[v].type.shape) == tuple(domain.shape)):
            continue   # an output or a full input: its own row is the buffer
        dtype = v.type.dtype
        nbytes = dtype.itemsize
        if all(isinstance(d, int) for d in domain.shape[n - k:]) and \
                row_len.constant * nbytes <= MAX_STACK_ROW_BYTES:
            base = fl.alloca(mem_type(dtype), max(row_len.constant, 1))
        else:
            base = fl.malloc(b.mul(row_len, i64(nbytes)))
            scratch_frees.append(base)
        add_stream(("row", v), base, dtype, [None] * (n - k) + inner_contig)

    # 0-d reduction results stay in registers through a stack slot.
    slots = {kv: fl.alloca(reg_type(kv.type.dtype)) for kv, r in zip(yields, op.results)
             if not r.type.ndim}
    acc_slots = {o: fl.alloca(reg_type(o.results[0].type.dtype)) for o in reds
                 if o not in pairwise}

    def row_stream(v):
        """The stream holding row value `v`'s row, if any."""
        if ("row", v) in stream_of:
            return stream_of[("row", v)]
        return stream_of.get(v)

    def _extrema_phase(ph: int) -> list:
        """Phase `ph`'s reductions if they are all float max/min of inputs of the domain's
        shape (contiguous rows) and the phase computes nothing else; else []."""
        if any(p == ph for p in row_phase.values()):
            return []
        ops = [o for o in reds if red_phase[o] == ph]
        ok = all(_extremum.supported(o.name, o.operands[0].type.dtype,
                                     o.results[0].type.dtype)
                 and o.operands[0] in external and o.operands[0] in stream_of
                 and tuple(external[o.operands[0]].type.shape) == tuple(domain.shape)
                 for o in ops)
        return ops if ok else []

    def outer_body(outer_off: list) -> None:
        scalars: dict = {}   # reduction results of this row (registers)

        def phase_body(ph: int, off: list) -> None:
            env: dict = {}

            def get(v):
                if isinstance(v, Literal):
                    return fl.get(v)
                if v in env:
                    return env[v]
                if v in scalars:
                    return scalars[v]
                if v in external:
                    x = external[v]
                    if not x.type.ndim:
                        return fl.get(x)
                    s = stream_of[v]
                    return load(b, streams[s][1], x.type.dtype, off[s])
                s = row_stream(v)   # a row value of an earlier phase
                return load(b, streams[s][1], v.type.dtype, off[s])

            for o in region.ops:
                if o in red_phase:
                    if red_phase[o] != ph:
                        continue
                    x = o.operands[0]
                    if o in pairwise:
                        if x in external and ("row", x) in stream_of:
                            s = stream_of[("row", x)]
                            store(b, get(x), streams[s][1], x.type.dtype, off[s])
                        continue
                    acc = o.results[0].type.dtype
                    slot = acc_slots[o]
                    b.store(_combine_rule(o.name, acc)(fl, b.load(slot, typ=reg_type(acc)),
                                                        cast(b, get(x), x.type.dtype, acc)),
                            slot)
                    continue
                r = o.results[0]
                if row_phase[r] != ph:
                    continue
                value = emit_scalar_op(fl, o.name, o.attrs, [v.type for v in o.operands],
                                       r.type, [get(v) for v in o.operands])
                env[r] = value
                for s in {row_stream(r)} - {None}:
                    store(b, value, streams[s][1], r.type.dtype, off[s])
                if r in stream_of and stream_of[r] != row_stream(r):
                    s = stream_of[r]
                    store(b, value, streams[s][1], r.type.dtype, off[s])

        for ph in range(phases):
            busy = [o for o in reds if red_phase[o] == ph] or \
                [v for v, p in row_phase.items() if p == ph]
            if not busy:
                continue
            extrema = _extrema_phase(ph)
            for o in extrema:
                # A phase of float max/min of whole input rows and nothing else: the SIMD
                # helper instead of the per-element loop (extremum.py).
                x, acc = o.operands[0], o.results[0].type.dtype
                s = stream_of[x]
                row = element_ptr(b, streams[s][1], x.type.dtype, outer_off[s])
                b.store(_extremum.extremum(fl, o.name, row, row_len, acc,
                                           _identity(o.name, acc), _combine_rule(o.name, acc)),
                        acc_slots[o])
            if not extrema:
                for o in reds:
                    if red_phase[o] == ph and o not in pairwise:
                        acc = o.results[0].type.dtype
                        b.store(_identity(o.name, acc), acc_slots[o])
                strided_loop(b, inner, [st[3][n - k:] for st in streams], outer_off,
                             lambda off, ph=ph: phase_body(ph, off), interleave=True)
            for o in reds:
                if red_phase[o] != ph:
                    continue
                acc = o.results[0].type.dtype
                if o in pairwise:
                    x = o.operands[0]
                    s = row_stream(x) if ("row", x) in stream_of or x not in external \
                        else stream_of[x]
                    row = element_ptr(b, streams[s][1], x.type.dtype, outer_off[s])
                    partial = pairwise_sum(fl, row, row_len, x.type.dtype, acc)
                    # As the unfused lowering: the output starts at the identity.
                    value = _combine_rule(o.name, acc)(fl, _identity(o.name, acc), partial)
                else:
                    value = b.load(acc_slots[o], typ=reg_type(acc))
                r = o.results[0]
                scalars[r] = value
                if r in stream_of:
                    s = stream_of[r]
                    store(b, value, streams[s][1], r.type.dtype, outer_off[s])
                if r in slots:
                    b.store(value, slots[r])

    def rows(start, end) -> None:
        if isinstance(start, ir.Constant):   # all rows, on this thread: the plain loop nest
            strided_loop(b, outer, [st[3][:n - k] for st in streams],
                         [i64(0)] * len(streams), outer_body)
            return
        # Rows [start, end) of the flattened outer axes (a chunk of a parallel loop): each
        # row is reduced exactly as above, rows are independent.
        with for_range(b, end, start=start, name="row") as r:
            idx, rem = [], r
            for d in reversed(range(1, len(outer))):
                idx.append(b.urem(rem, outer[d]))
                rem = b.udiv(rem, outer[d])
            idx.append(rem)
            idx.reverse()
            offs = []
            for st in streams:
                off = i64(0)
                for d, s in enumerate(st[3][:n - k]):
                    if s is not None:
                        off = b.add(off, b.mul(idx[d], s))
                offs.append(off)
            outer_body(offs)

    if outer and not scratch_frees and not slots:
        # Rows run on the thread pool when the kernel touches enough bytes
        # (codegen/parallel.py); scratch rows and accumulators are per-thread stack slots.
        row_bytes = sum(st[2].itemsize for st in streams)
        parallel.emit_parallel_for(
            fl, _product(b, outer),
            row_bytes * row_len.constant if isinstance(row_len, ir.Constant)
            else b.mul(row_len, i64(row_bytes)), rows)
    else:
        rows(i64(0), None)
    for p in scratch_frees:
        fl.free(p)
    for kv, r in zip(yields, op.results):
        if not r.type.ndim:
            fl.bind(r, b.load(slots[kv], typ=reg_type(kv.type.dtype)))


@lowers("fusion")
def lower_fusion(fl: FunctionLowering, op: Op) -> None:
    """A fusion kernel: row by row when it holds reductions, else elementwise's one loop."""
    if has_reduction(op.attrs["kernel"]):
        lower_reduction_kernel(fl, op)
    else:
        _elementwise.lower_fusion(fl, op)
