"""Lowering of the index-returning and running reductions: `argmax`/`argmin` (first NaN wins,
NumPy's loop) and `cumsum`/`cumprod` (sequential along the axis, as NumPy accumulates)."""

from __future__ import annotations

import functools

import llvmlite.ir as ir
import numpy as np

from ...ir import types as T
from ...ir.core import Op
from .. import abi
from ..llvmtypes import I64, cast, i64, load, reg_type, store
from ..loops import for_range, strided_loop
from ..lower import FunctionLowering, lowers
from .scalar import RULES, ScalarOp


def _split(fl: FunctionLowering, shape, axis):
    """(outer count, axis length, inner count) of a C-contiguous array around `axis`."""
    b = fl.builder
    outer = functools.reduce(b.mul, shape[:axis], i64(1))
    inner = functools.reduce(b.mul, shape[axis + 1:], i64(1))
    return outer, shape[axis], inner


@lowers("argmax", "argmin")
def lower_arg_extremum(fl: FunctionLowering, op: Op) -> None:
    """NumPy's `@TYPE@_argmax`: keep the first maximum; for floats `!(x <= best)` also takes
    a NaN, and the first NaN ends the search (numpy/_core/src/multiarray/argfunc.dispatch)."""
    x, r = op.operands[0], op.results[0]
    b = fl.builder
    dtype = x.type.dtype
    axis = op.attrs["axis"]
    shape = fl.shape(x.type)
    if axis is None:
        outer, n, inner = i64(1), fl.size(x.type), i64(1)
    else:
        outer, n, inner = _split(fl, shape, axis)
    is_max = op.name == "argmax"
    fl.check(b.icmp_signed("==", n, i64(0)), abi.STATUS_VALUE_ERROR,
             [i64(abi.VE_EMPTY_ARGMAX if is_max else abi.VE_EMPTY_ARGMIN)])
    src = fl.get(x)
    dst = fl.alloc(r) if r.type.ndim else None
    result_slot = fl.alloca(I64)
    best_slot, idx_slot = fl.alloca(reg_type(dtype)), fl.alloca(I64)

    def better(v, best):
        if dtype.kind == "f":
            # !(v <= best) is true for NaN; a NaN best is final.
            beats = b.not_(b.fcmp_ordered("<=" if is_max else ">=", v, best))
            return b.and_(beats, b.fcmp_ordered("ord", best, best))
        cmp = b.icmp_signed if dtype.kind == "i" else b.icmp_unsigned
        return cmp(">" if is_max else "<", v, best)

    if isinstance(inner, ir.Constant) and inner.constant == 1 and dtype.kind in "fi":
        _two_pass_rows(fl, op, src, dst, result_slot, outer, n)
        if dst is None:
            fl.bind(r, b.load(result_slot, typ=I64))
        return

    with for_range(b, outer, name="o") as o:
        with for_range(b, inner, name="in") as i:
            base = b.add(b.mul(b.mul(o, n), inner), i)
            b.store(load(b, src, dtype, base), best_slot)
            b.store(i64(0), idx_slot)
            with for_range(b, n, start=i64(1), name="j") as j:
                v = load(b, src, dtype, b.add(base, b.mul(j, inner)))
                take = better(v, b.load(best_slot, typ=reg_type(dtype)))
                b.store(b.select(take, v, b.load(best_slot, typ=reg_type(dtype))), best_slot)
                b.store(b.select(take, j, b.load(idx_slot, typ=I64)), idx_slot)
            found = b.load(idx_slot, typ=I64)
            if dst is not None:
                store(b, found, dst, r.type.dtype, b.add(b.mul(o, inner), i))
            else:
                b.store(found, result_slot)
    if dst is None:
        fl.bind(r, b.load(result_slot, typ=I64))


def _two_pass_rows(fl: FunctionLowering, op: Op, src, dst, result_slot, outer, n) -> None:
    """argmax/argmin of contiguous rows in two vectorizable passes (the one-pass loop above
    is a chain of dependent compare-selects, ~6 cycles per element): the row's extremum `m`
    (`llvm.maximum`/`minimum` for floats: NaN wins; `smax`/`smin` for ints), then the first
    index whose element equals `m`, or is NaN (a float row holds a NaN iff `m` is NaN), as an
    integer min-reduction of `select(hit, j, n)`. The same index as NumPy's loop: its first
    extremum, or its first NaN; `-0.0 == 0.0`, so the first of tied zeros, as NumPy keeps."""
    b = fl.builder
    x = op.operands[0]
    dtype = x.type.dtype
    ty = reg_type(dtype)
    is_max = op.name == "argmax"
    best_slot, idx_slot = fl.alloca(ty), fl.alloca(I64)
    if dtype.kind == "f":
        def combine(acc, v):
            return fl.call_intrinsic("maximum" if is_max else "minimum", [acc, v])

        def hit(v, m):
            return b.or_(b.fcmp_ordered("==", v, m), b.fcmp_unordered("uno", v, v))
    else:
        def combine(acc, v):
            return b.select(b.icmp_signed(">" if is_max else "<", v, acc), v, acc)

        def hit(v, m):
            return b.icmp_signed("==", v, m)

    with for_range(b, outer, name="o") as o:
        base = b.mul(o, n)
        b.store(load(b, src, dtype, base), best_slot)
        with for_range(b, n, start=i64(1), name="j") as j:
            v = load(b, src, dtype, b.add(base, j))
            b.store(combine(b.load(best_slot, typ=ty), v), best_slot)
        m = b.load(best_slot, typ=ty)
        b.store(n, idx_slot)
        with for_range(b, n, name="k") as j:
            v = load(b, src, dtype, b.add(base, j))
            cur = b.load(idx_slot, typ=I64)
            cand = b.select(hit(v, m), j, n)
            b.store(b.select(b.icmp_signed("<", cand, cur), cand, cur), idx_slot)
        found = b.load(idx_slot, typ=I64)
        if dst is not None:
            store(b, found, dst, op.results[0].type.dtype, o)
        else:
            b.store(found, result_slot)


@lowers("cumsum", "cumprod")
def lower_scan(fl: FunctionLowering, op: Op) -> None:
    """out[..., j, ...] = out[..., j-1, ...] (+ or *) x[..., j, ...], in the result dtype; the
    inner (kept) axes are innermost so the loop vectorizes without reassociating."""
    x, r = op.operands[0], op.results[0]
    b = fl.builder
    src_t, dt = x.type.dtype, r.type.dtype
    ufunc = "add" if op.name == "cumsum" else "multiply"
    rule = RULES[ufunc][dt.kind]
    sop = ScalarOp(ufunc, (dt, dt), dt)
    if not x.type.ndim:
        fl.bind(r, cast(b, fl.get(x), src_t, dt))
        return
    axis = op.attrs.get("axis") or 0
    outer, n, inner = _split(fl, fl.shape(x.type), axis)
    src, dst = fl.get(x), fl.alloc(r)
    with for_range(b, outer, name="o") as o:
        row = b.mul(b.mul(o, n), inner)
        with for_range(b, n, name="j") as j:
            at = b.add(row, b.mul(j, inner))
            prev = b.sub(at, inner)
            first = b.icmp_signed("==", j, i64(0))
            with for_range(b, inner, name="in") as i:
                v = cast(b, load(b, src, src_t, b.add(at, i)), src_t, dt)
                # Row 0 copies; later rows combine with the previous row (its load is
                # harmless but unused for row 0, so read row 0 itself there).
                p = load(b, dst, dt, b.add(b.select(first, at, prev), i))
                store(b, b.select(first, v, rule(fl, [p, v], sop)), dst, dt, b.add(at, i))
