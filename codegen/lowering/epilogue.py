"""Code for a matmul's fused epilogue (attr `epilogue`, the `matmul_epilogue` pass).

The epilogue kernel maps `(C, *extras)` to the result element by element; the result is
computed in place in C's buffer (the op's result buffer). Two forms, one loop body:

- `outline(fl, op)`: a function of the module the gemm calls on each finished block,

      void @<entry>.epi<k>(ptr ctx, ptr c, i64 ldc, i64 row0, i64 col0, i64 rows, i64 cols)

  (`codegen/gemm`'s `EPILOGUE_TYPE`): `c` points at C[row0, col0] of the whole product, whose
  row stride is `ldc`. Values of the entry function it uses (the extras' data pointers, 0-d
  extras, symbolic dimensions) are 8-byte slots of `ctx`, as for the thread pool's outlined
  loops (`codegen/parallel.py`): the caller fills `ctx` with `captures`.
- `emit_inline(fl, op, c, rows, cols)`: the same loops over the whole C in the entry function
  (after a BLAS or loop product, or when the body cannot be outlined), split over the thread
  pool by rows when large.

Extras are indexed with NumPy broadcasting against the 2-d result (static: stride 0 on an axis
where the operand has length 1 or lacks the axis), so a bias row `b[n]`, a column `b[m, 1]`,
a 0-d value and a same-shaped array all read with unit or zero stride along a row: the inner
loop vectorizes like an elementwise kernel's. Each element gets the kernel's scalar ops
(`elementwise._kernel_body`, `emit_scalar_op`) on the same values: the results are those of
the unfused `fusion` kernel, bit for bit.
"""

from __future__ import annotations

import itertools

import llvmlite.ir as ir

import numpy as np

from ...ir.core import Literal, Op
from .. import parallel
from ..gemm.driver import EPILOGUE_TYPE
from ..llvmtypes import I64, PTR, i64, load, mem_type, store
from ..loops import for_range
from .elementwise import _kernel_body, _layout

_counter = itertools.count()


def _emit_rows(fl, op: Op, c, ldc, row0, col0, lo, hi, cols) -> None:
    """Rows `[lo, hi)` of the block at `c` (C[row0 + i, col0 + j] is `c[i * ldc + j]`)."""
    b = fl.builder
    out = op.results[0].type
    extras = op.operands[2:]
    arrays = [v for v in extras if v.type.ndim]
    layouts = {v: _layout(v.type, out, fl) for v in arrays}
    scalars = {v: fl.get(v) for v in extras if not v.type.ndim}
    body = _kernel_body(fl, op.attrs["epilogue"])
    dt = out.dtype
    with for_range(b, hi, start=lo, name="epi.i") as i:
        gi = b.add(row0, i)
        crow = b.gep(c, [b.mul(i, ldc)], inbounds=True, source_etype=mem_type(dt))
        rows = {}
        for v in arrays:
            along_rows, along_cols = layouts[v]
            # The operand's row gi (row 0 when broadcast along rows): its row length is its
            # column count, or 1 for a column vector.
            first = b.mul(gi, along_cols or i64(1)) if along_rows is not None else i64(0)
            rows[v] = (b.gep(fl.get(v), [first], inbounds=True, source_etype=mem_type(v.type.dtype)),
                       along_cols is not None)
        with for_range(b, cols, name="epi.j", interleave=True) as j:
            gj = b.add(col0, j)
            vals = [load(b, crow, dt, j)]
            for v in extras:
                if v in scalars:
                    vals.append(scalars[v])
                else:
                    p, along = rows[v]
                    vals.append(load(b, p, v.type.dtype, gj if along else None))
            store(b, body(vals)[0], crow, dt, j)


def post_ops(op: Op):
    """`(bias, relu)` when the epilogue is one of the gemm's in-register post-ops (`codegen/
    gemm/microkernel.py`), else None: `C + bias` (either operand order: IEEE addition
    commutes), `maximum(C, 0)`, or `maximum(C + bias, 0)`, where `bias` is an operand of the
    product's dtype and shape `(n,)` or `(1, n)` (a row added to every row of C) and 0 is a
    literal positive zero with C as the first operand of `maximum` (NumPy's maximum returns
    its second operand on ties: `maximum(0, -0.0)` is -0.0, not what the kernel computes).
    `bias` is None for the ReLU alone."""
    body = op.attrs["epilogue"].body
    product, out = body.args[0], op.results[0].type
    extras = dict(zip(body.args[1:], op.operands[2:]))
    value, bias, relu = product, None, False
    ops = list(body.ops)
    if ops and ops[0].name == "add" and product in ops[0].operands:
        other = ops[0].operands[1] if ops[0].operands[0] is product else ops[0].operands[0]
        row = extras.get(other)
        if row is None or row.type.dtype != out.dtype or tuple(row.type.shape) not in (
                (out.shape[-1],), (1, out.shape[-1])):
            return None
        value, bias = ops.pop(0).results[0], row
    if ops and ops[0].name == "maximum" and ops[0].operands[0] is value:
        zero = ops[0].operands[1]
        if not (isinstance(zero, Literal) and zero.value == 0
                and not np.signbit(zero.value)):
            return None
        value, relu = ops.pop(0).results[0], True
    if ops or value is product or body.yields != (value,) or any(
            o.results[0].type.dtype != out.dtype for o in body.ops):
        return None
    return bias, relu


def outline(fl, op: Op):
    """`(function, captures)`: the epilogue as an `EPILOGUE_TYPE` function, or None when its
    body cannot leave the entry function (it would need a status check or a `malloc`; then
    nothing of it remains in the module)."""
    fn = ir.Function(fl.module, EPILOGUE_TYPE, name=f"{fl.fn.name}.epi{next(_counter)}")
    for arg, nm in zip(fn.args, ("ctx", "c", "ldc", "row0", "col0", "rows", "cols")):
        arg.name = nm
    _, c, ldc, row0, col0, rows, cols = fn.args
    return parallel.outline_function(
        fl, fn, "rows", lambda: _emit_rows(fl, op, c, ldc, row0, col0, i64(0), rows, cols))


def context(fl, captures) -> ir.Value:
    """A stack array of the captured values, one 8-byte slot each (the epilogue's `ctx`)."""
    b = fl.builder
    ctx = fl.alloca(I64, max(len(captures), 1))
    for k, v in enumerate(captures):
        slot = b.gep(ctx, [i64(k)], inbounds=True, source_etype=I64)
        slot.type = PTR     # an opaque pointer: the slot holds a value of any type
        b.store(v, slot)
    return ctx


def emit_inline(fl, op: Op, c, rows, cols) -> None:
    """The epilogue over the whole C (`rows x cols`, contiguous at `c`), in the entry function;
    large ones split by rows over the thread pool."""
    b = fl.builder
    item = sum(v.type.dtype.itemsize for v in op.operands[2:] if v.type.ndim) + \
        2 * op.results[0].type.dtype.itemsize
    parallel.emit_parallel_for(
        fl, rows, b.mul(cols, i64(item)),
        lambda lo, hi: _emit_rows(fl, op, c, cols, i64(0), i64(0), lo, hi, cols))
