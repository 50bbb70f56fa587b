"""Dimensions as LLVM i64 values: a `Dim` is loaded from the ABI's dimension array at entry, a
`DynamicDim` is the SSA register of the graph value it is bound to, and a `DimExpr` (see
`ir/types.py`) is emitted as i64 arithmetic on those."""

from __future__ import annotations

from typing import Callable

import llvmlite.ir as ir

from ..ir import types as T
from .llvmtypes import i64


def emit_dim(b: ir.IRBuilder, d, leaf: Callable[[object], ir.Value]) -> ir.Value:
    """The i64 value of dimension `d`; `leaf(atom)` gives a `Dim`'s or `DynamicDim`'s value."""
    if isinstance(d, int):
        return i64(d)
    if isinstance(d, (T.Dim, T.DynamicDim)):
        return leaf(d)
    if isinstance(d, T.DimExpr):
        total = i64(d.const) if d.const else None
        for mono, c in d.terms:
            p = None
            for a in mono:
                v = emit_dim(b, a, leaf)
                p = v if p is None else b.mul(p, v)
            if c != 1:
                p = b.mul(p, i64(c))
            total = p if total is None else b.add(total, p)
        return total if total is not None else i64(0)
    if isinstance(d, T.FloorDiv):
        num = emit_dim(b, d.num, leaf)
        # floor(num / k) for k > 0: truncating division, minus one for an inexact negative num.
        q = b.sdiv(num, i64(d.k))
        r = b.srem(num, i64(d.k))
        adjust = b.and_(b.icmp_signed("<", r, i64(0)), b.icmp_signed("!=", r, i64(0)))
        return b.sub(q, b.zext(adjust, q.type))
    if isinstance(d, (T.Max, T.Min)):
        vals = [emit_dim(b, a, leaf) for a in d.args]
        out = vals[0]
        cmp = ">" if isinstance(d, T.Max) else "<"
        for v in vals[1:]:
            out = b.select(b.icmp_signed(cmp, out, v), out, v)
        return out
    raise TypeError(f"not a dimension: {d!r}")
