"""Lowering of the effect ops: `print` (a call to the runtime's `fj_print`) and `assert` (a
STATUS_ASSERTION return)."""

from __future__ import annotations

import llvmlite.ir as ir

from ...ir.core import Op
from .. import abi
from ..llvmtypes import I64, PTR, i64
from ..lower import FunctionLowering, lowers


@lowers("print")
def lower_print(fl: FunctionLowering, op: Op) -> None:
    """`fj_print(site, slots)` with `slots = [data0, shape0, data1, shape1, ...]` (abi.py)."""
    b = fl.builder
    site = len(fl.print_sites)
    fl.print_sites.append(abi.PrintSite(op.attrs.get("template"), op.attrs.get("sep", " "),
                                        op.attrs.get("end", "\n"),
                                        tuple(v.type for v in op.operands)))
    n = len(op.operands)
    slots = fl.alloca(PTR, max(2 * n, 1))
    for k, v in enumerate(op.operands):
        data = fl.as_buffer(v)
        shape = fl.alloca(I64, max(v.type.ndim, 1))
        for d, length in enumerate(fl.shape(v.type)):
            b.store(length, b.gep(shape, [i64(d)], inbounds=True, source_etype=I64))
        b.store(data, b.gep(slots, [i64(2 * k)], inbounds=True, source_etype=PTR))
        b.store(shape, b.gep(slots, [i64(2 * k + 1)], inbounds=True, source_etype=PTR))
    fn = fl.function(abi.PRINT_SYMBOL, ir.VoidType(), [I64, PTR])
    b.call(fn, [i64(site), slots])


@lowers("assert")
def lower_assert(fl: FunctionLowering, op: Op) -> None:
    """Return STATUS_ASSERTION with the assert's id when the predicate is false."""
    b = fl.builder
    aid = len(fl.assert_messages)
    fl.assert_messages.append(op.attrs.get("message"))
    pred = fl.get(op.operands[0])
    fl.check(b.not_(pred), abi.STATUS_ASSERTION, [i64(aid)])


@lowers("python_int_bounds")
def lower_python_int_bounds(fl: FunctionLowering, op: Op) -> None:
    """STATUS_OVERFLOW (NumPy's "Python integer ... out of bounds for int32") when the Python
    int operand does not fit int32."""
    b = fl.builder
    value = fl.get(op.operands[0])
    lo, hi = (int(x) for x in _INT32_RANGE)
    outside = b.or_(b.icmp_signed("<", value, i64(lo)), b.icmp_signed(">", value, i64(hi)))
    fl.check(outside, abi.STATUS_OVERFLOW, [i64(abi.OVERFLOW_PYTHON_INT_BOUNDS), value])


_INT32_RANGE = (-(2 ** 31), 2 ** 31 - 1)
