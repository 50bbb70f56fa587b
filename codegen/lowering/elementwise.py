"""Lowering of elementwise ops and `fusion` kernels: one loop (nest) around scalar rules.

A single elementwise op is lowered as a one-op kernel, so ops and fused kernels share one
loop emitter. Operands whose shape equals the result's are read with the flat index of one
contiguous loop (the vectorizable fast path); otherwise the loop nest walks the result's shape
and each operand is indexed with NumPy's broadcasting (stride 0 on broadcast axes). 0-d operands
are registers, read once outside the loop.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import llvmlite.ir as ir

from ...ir import types as T
from ...ir.core import Literal, Op, Value
from ...ir.ops.elementwise import UFUNCS
from ..llvmtypes import i64, load, store
from ..loops import broadcast_loop, for_range
from ..lower import FunctionLowering, lowers
from .. import parallel, vecmath
from .scalar import RULES, emit_scalar_op, rule

ScalarBody = Callable[[list[ir.Value]], list[ir.Value]]


def _layout(operand: T.TensorType, out: T.TensorType, fl: FunctionLowering) -> list:
    """`broadcast_loop`'s layout of `operand` against `out` (None on broadcast axes)."""
    pad = out.ndim - operand.ndim
    sizes = fl.shape(operand)
    return [None if k < pad or operand.shape[k - pad] == 1 else sizes[k - pad]
            for k in range(out.ndim)]


def emit_elementwise(fl: FunctionLowering, operands: Sequence[Value], results: Sequence[Value],
                     body: ScalarBody) -> None:
    """Compute `results` element by element from `operands` with `body(scalars) -> scalars`.

    Every result has the broadcast shape of the operands (NumPy's rule). Result buffers may
    reuse the buffer of an operand this op reads for the last time (element i is read before
    it is written).
    """
    b = fl.builder
    out_type = results[0].type
    if out_type.ndim == 0:
        outs = body([fl.get(v) for v in operands])
        for r, x in zip(results, outs):
            fl.bind(r, x)
        return
    ptrs = [fl.alloc(r, reuse=[v for v in operands if not isinstance(v, Literal)])
            for r in results]
    arrays = [v for v in operands if v.type.ndim]
    scalars = {v: fl.get(v) for v in operands if not v.type.ndim}
    bases = {v: fl.get(v) for v in arrays}

    def compute(offsets: dict) -> None:
        vals = [scalars[v] if v in scalars else load(b, bases[v], v.type.dtype, offsets[v])
                for v in operands]
        for r, p, x in zip(results, ptrs, body(vals)):
            store(b, x, p, r.type.dtype, offsets[None])

    # Large loops run on the thread pool (codegen/parallel.py): bytes touched per element.
    item_bytes = sum(v.type.dtype.itemsize for v in arrays) + sum(
        r.type.dtype.itemsize for r in results)
    if all(v.type.shape == out_type.shape for v in arrays) and all(
            r.type.shape == out_type.shape for r in results):
        # Fast path: one flat loop over contiguous buffers of the same shape.
        def flat(start, end):
            with for_range(b, end, start=start, interleave=True) as i:
                compute({**{v: i for v in arrays}, None: i})

        parallel.emit_parallel_for(fl, fl.size(out_type), item_bytes, flat,
                                   align=parallel.ELEMENT_ALIGN)
        return
    full = [fl.shape(out_type)[k] for k in range(out_type.ndim)]
    keys = list(dict.fromkeys(arrays))
    layouts = [_layout(v.type, out_type, fl) for v in keys] + [full]

    def at(offsets: list) -> None:
        compute({**dict(zip(keys, offsets[:-1])), None: offsets[-1]})

    # In parallel: chunks of the outermost axis (rows; elements of a 1-d loop).
    row = fl.size(T.TensorType(out_type.dtype, tuple(out_type.shape[1:])))
    row_bytes = item_bytes * row.constant if isinstance(row, ir.Constant) else \
        b.mul(row, ir.Constant(row.type, item_bytes))
    parallel.emit_parallel_for(
        fl, full[0], row_bytes,
        lambda start, end: broadcast_loop(b, full, layouts, at, outer=(start, end),
                                          interleave=True),
        align=parallel.ELEMENT_ALIGN if out_type.ndim == 1 else 1)


@lowers(*UFUNCS, "where", "astype")
def lower_elementwise(fl: FunctionLowering, op: Op) -> None:
    types = [v.type for v in op.operands]
    result = op.results[0]

    def body(args):
        return [emit_scalar_op(fl, op.name, op.attrs, types, result.type, args)]

    emit_elementwise(fl, op.operands, op.results, body)


def _kernel_body(fl: FunctionLowering, kernel) -> ScalarBody:
    """The scalar function computing a fusion kernel's yields from its arguments."""
    region = kernel.body

    def body(args: list[ir.Value]) -> list[ir.Value]:
        env: dict = dict(zip(region.args, args))

        def get(v: Value) -> ir.Value:
            if isinstance(v, Literal):
                return fl.get(v)
            return env[v] if v in env else fl.get(v)

        for inner in region.ops:
            vals = [get(v) for v in inner.operands]
            types = [v.type for v in inner.operands]
            env[inner.results[0]] = emit_scalar_op(fl, inner.name, inner.attrs, types,
                                                   inner.results[0].type, vals)
        return [get(v) for v in region.yields]

    return body


@lowers("fusion")
def lower_fusion(fl: FunctionLowering, op: Op) -> None:
    """A fused chain of elementwise ops: one loop, the kernel's ops inlined per element."""
    emit_elementwise(fl, op.operands, op.results, _kernel_body(fl, op.attrs["kernel"]))


# -- vectorizable transcendentals (codegen/vecmath.py) ----------------------------------------
# Branch-free inline IR instead of libm calls, so elementwise loops vectorize; accuracy is
# within 1-2 ulp of NumPy (tests/codegen/test_vecmath.py). Also used by 0-d ops (same rules).

for _name in vecmath.VECTOR_RULES:
    rule(_name, "f")(lambda fl, args, op, _n=_name: vecmath.emit(fl.builder, _n, args[0]))

_libm_power = RULES["power"]["f"]


def _constant_exponent(y) -> int | None:
    """The small integer value of a constant exponent (a float constant, or an int literal
    the scalar rule cast with `sitofp`/`uitofp`), else None."""
    if isinstance(y, ir.CastInstr) and y.opname in ("sitofp", "uitofp"):
        y = y.operands[0]
    if isinstance(y, ir.Constant) and isinstance(y.constant, (int, float)) \
            and not isinstance(y.constant, bool):
        v = y.constant
        if math.isfinite(v) and v == int(v) and -8 <= v <= 8:
            return int(v)
    return None


@rule("power", "f")
def _float_power(fl, args, op):
    if op.python:
        return _libm_power(fl, args, op)
    n = _constant_exponent(args[1])
    if n is not None and op.dtype.itemsize == 4:
        # x**n for float32 x and a small constant integer n: n = 1, 2, 3 natively in float32
        # lanes (x**3 correctly rounded for |x| >= 2^-26: vecmath.cube_f32); other n by
        # squaring in float64 (x*x exact there, further products round at 2^-53, one final
        # rounding to float32).
        return vecmath.power_int_f32(fl.builder, args[0], n)
    if n == 2:
        return fl.builder.fmul(args[0], args[0])          # one rounding: exactly pow(x, 2)
    if op.dtype.itemsize == 4:
        return vecmath.power_f32(fl.builder, *args)
    return _libm_power(fl, args, op)
