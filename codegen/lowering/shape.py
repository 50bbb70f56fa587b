"""Lowering of the shape ops: `dim`, `reshape` (shares the buffer when safe), `transpose`,
`broadcast_to`, `concatenate` and `arange`."""

from __future__ import annotations

import numpy as np

from ...ir.core import Op
from ..llvmtypes import cast, const, i64, load, reg_type, store
from ..loops import for_range, strided_loop
from ..lower import FunctionLowering, lowers
from .elementwise import emit_elementwise
from .indexing import _c_strides


@lowers("dim")
def lower_dim(fl: FunctionLowering, op: Op) -> None:
    """`x.shape[axis]` of a symbolic axis: the value from the ABI's dimension array."""
    x = op.operands[0]
    fl.bind(op.results[0], fl.shape(x.type)[op.attrs["axis"]])


@lowers("reshape")
def lower_reshape(fl: FunctionLowering, op: Op) -> None:
    """C-order reshape: the same elements in the same order, so the buffer is shared when
    `FunctionLowering.forward` allows, else copied."""
    x, r = op.operands[0], op.results[0]
    b = fl.builder
    if not r.type.ndim:
        fl.bind(r, fl.get(x) if not x.type.ndim else load(b, fl.get(x), x.type.dtype, i64(0)))
        return
    if not x.type.ndim:
        store(b, fl.get(x), fl.alloc(r), r.type.dtype, i64(0))
        return
    if not fl.forward(x, r):
        fl.memcpy(fl.alloc(r), fl.get(x), fl.nbytes(x.type))


@lowers("transpose")
def lower_transpose(fl: FunctionLowering, op: Op) -> None:
    """A copy in the permuted order: output axis d walks input axis `axes[d]`."""
    x, r = op.operands[0], op.results[0]
    b = fl.builder
    if not r.type.ndim:
        fl.bind(r, fl.get(x))
        return
    axes = op.attrs["axes"]
    in_strides = _c_strides(b, fl.shape(x.type))
    src, dst = fl.get(x), fl.alloc(r)
    dtype = x.type.dtype
    strided_loop(b, fl.shape(r.type), [[in_strides[a] for a in axes], _c_strides(b, fl.shape(r.type))],
                 [i64(0), i64(0)],
                 lambda offs: store(b, load(b, src, dtype, offs[0]), dst, dtype, offs[1]))


@lowers("broadcast_to")
def lower_broadcast_to(fl: FunctionLowering, op: Op) -> None:
    emit_elementwise(fl, op.operands, op.results, lambda vals: vals)


@lowers("concatenate")
def lower_concatenate(fl: FunctionLowering, op: Op) -> None:
    """Each operand copied (and cast to the result dtype) into its slab along `axis`."""
    r = op.results[0]
    b = fl.builder
    axis = op.attrs["axis"]
    dst = fl.alloc(r)
    out_strides = _c_strides(b, fl.shape(r.type))
    start = i64(0)
    for x in op.operands:
        src = fl.get(x)
        shape = fl.shape(x.type)
        base = b.mul(start, out_strides[axis])

        def body(offs, x=x, src=src):
            v = cast(b, load(b, src, x.type.dtype, offs[0]), x.type.dtype, r.type.dtype)
            store(b, v, dst, r.type.dtype, offs[1])

        strided_loop(b, shape, [_c_strides(b, shape), out_strides], [i64(0), base], body)
        start = b.add(start, shape[axis])


@lowers("arange")
def lower_arange(fl: FunctionLowering, op: Op) -> None:
    """NumPy's `arange` fill: element i is `first + i * delta` in the dtype, where
    `delta = (start + step) - start` is computed in the dtype (arraytypes.c.src `_fill`)."""
    r = op.results[0]
    b = fl.builder
    dtype = r.type.dtype
    start, step = op.attrs["start"], op.attrs["step"]
    first_two = np.array([start, start + step]).astype(dtype)
    first = const(dtype, first_two[0])
    delta = const(dtype, (first_two[1] - first_two[0]).item())
    dst = fl.alloc(r)
    with for_range(b, fl.size(r.type)) as i:
        if dtype.kind == "f":
            v = b.fadd(first, b.fmul(b.sitofp(i, reg_type(dtype)), delta))
        else:
            v = b.add(first, b.mul(cast(b, i, np.dtype(np.int64), dtype), delta))
        store(b, v, dst, dtype, i)
