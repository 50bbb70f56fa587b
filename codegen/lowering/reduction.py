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
from ...ir.core import Op
from .. import abi
from ..llvmtypes import I64, PTR, cast, const, i64, load, reg_type, store
from ..loops import broadcast_loop, for_range
from ..lower import FunctionLowering, lowers
from .scalar import RULES, ScalarOp

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


def _mem(dtype):
    from ..llvmtypes import mem_type
    return mem_type(dtype)


def _reduce_block(fl: FunctionLowering, name: str, base: ir.Value, count: ir.Value,
                  src: np.dtype, acc: np.dtype, combine) -> ir.Value:
    """The reduction of `count` contiguous elements at `base` (before combining with the
    output): pairwise for float sums, else a sequential loop (exact for ints and extrema)."""
    b = fl.builder
    if name in ("sum", "mean") and acc.kind == "f":
        return b.call(_pairwise_function(fl, src, acc), [base, count])
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
