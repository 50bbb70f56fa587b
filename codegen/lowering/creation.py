"""Lowering of `full` (a filled buffer) and `constant` (a private global, or a register)."""

from __future__ import annotations

import itertools

import llvmlite.ir as ir
import numpy as np

from ...ir.core import Op
from ..llvmtypes import cast, const, store
from ..loops import for_range
from ..lower import FunctionLowering, lowers

_globals = itertools.count()


@lowers("full")
def lower_full(fl: FunctionLowering, op: Op) -> None:
    """`np.full(shape, fill, dtype)`: the fill value (operand 0) cast to `dtype`, then stored
    in every element (LLVM turns the loop into a memset or a vector store loop). The other
    operands are the run-time sizes of the symbolic dimensions, which the lowering reads from
    the ABI's dimension array instead."""
    fill = op.operands[0]
    r = op.results[0]
    value = cast(fl.builder, fl.get(fill), fill.type.dtype, r.type.dtype)
    if not r.type.ndim:
        fl.bind(r, value)
        return
    p = fl.alloc(r)
    with for_range(fl.builder, fl.size(r.type)) as i:
        store(fl.builder, value, p, r.type.dtype, i)


@lowers("constant")
def lower_constant(fl: FunctionLowering, op: Op) -> None:
    """A trace-time array: a register for 0-d, else a read-only private global (never freed
    and never written: `setitem` copies values it does not own)."""
    r = op.results[0]
    value = np.ascontiguousarray(op.attrs["value"], dtype=r.type.dtype)
    if not r.type.ndim:
        fl.bind(r, const(r.type.dtype, value.item()))
        return
    # Raw host-order bytes: the module targets this host, and `c"..."` text stays compact for
    # large arrays (one ir.Constant per element would not).
    data = value.astype(np.int8) if r.type.dtype == np.bool_ else value
    aty = ir.ArrayType(ir.IntType(8), max(data.nbytes, 1))
    g = ir.GlobalVariable(fl.module, aty, name=f"fj.const.{next(_globals)}")
    g.linkage = "private"
    g.global_constant = True
    g.unnamed_addr = True
    g.align = 64
    g.initializer = ir.Constant(aty, bytearray(data.tobytes() or b"\0"))
    fl.bind(r, g)
