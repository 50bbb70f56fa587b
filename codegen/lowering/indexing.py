"""Lowering of basic indexing: `getitem` (a copy of the selected elements) and `setitem` (an
update, in place when the array's buffer is owned and dead afterwards, else on a copy).

Index entries are `ir.ops.indexing`'s: static ints and slices were checked at trace time;
traced (`dynamic`) indices wrap once if negative and are bounds-checked at run time, raising
NumPy's `IndexError` ("index 5 is out of bounds for axis 0 with size 3") unless
`boundscheck=False`.
"""

from __future__ import annotations

from typing import Sequence

import llvmlite.ir as ir

from ...ir import types as T
from ...ir.core import Op, Value
from .. import abi
from ..llvmtypes import I64, cast, element_ptr, i64, load, mem_type, store
from ..loops import strided_loop
from ..lower import FunctionLowering, lowers


def _dynamic_index(fl: FunctionLowering, v: Value, axis: int, size: ir.Value) -> ir.Value:
    """A traced index as an in-bounds i64: negative values count from the end (once)."""
    b = fl.builder
    idx = cast(b, fl.get(v), v.type.dtype, T.INT64)
    wrapped = b.select(b.icmp_signed("<", idx, i64(0)), b.add(idx, size), idx)
    if fl.boundscheck:
        # One unsigned compare covers both ends: a negative wrapped index is huge unsigned.
        bad = b.icmp_unsigned(">=", wrapped, size)
        fl.check(bad, abi.STATUS_INDEX_ERROR, [idx, i64(axis), size])
    return wrapped


def _view(fl: FunctionLowering, x: Value, entries, traced: Sequence[Value]):
    """`(base, shape, strides)`: the element offset of `x[index]`'s first element, and the
    length and element stride (None for 0) of each of its axes, within `x`'s buffer."""
    b = fl.builder
    shape = fl.shape(x.type)
    xstrides = [i64(1)] * len(shape)
    for a in range(len(shape) - 2, -1, -1):
        xstrides[a] = b.mul(xstrides[a + 1], shape[a + 1])
    base = i64(0)
    out_shape, out_strides = [], []
    axis = 0
    for entry in entries:
        kind = entry[0]
        if kind == "newaxis":
            out_shape.append(i64(1))
            out_strides.append(None)
            continue
        if kind == "int":
            base = b.add(base, b.mul(i64(entry[1]), xstrides[axis]))
        elif kind == "dynamic":
            idx = _dynamic_index(fl, traced[entry[1]], axis, shape[axis])
            base = b.add(base, b.mul(idx, xstrides[axis]))
        elif kind == "slice":
            start, stop, step = entry[1:]
            out_shape.append(i64(len(range(start, stop, step))))
            base = b.add(base, b.mul(i64(start), xstrides[axis]))
            out_strides.append(b.mul(i64(step), xstrides[axis]))
        elif kind == "full":
            out_shape.append(shape[axis])
            out_strides.append(xstrides[axis])
        elif kind == "symslice":   # a static slice of a symbolic axis: DimExpr start/length
            first, length = T.slice_dims(x.type.shape[axis], *entry[1:])
            step = 1 if entry[3] is None else entry[3]
            out_shape.append(fl.dim(length))
            base = b.add(base, b.mul(fl.dim(first), xstrides[axis]))
            out_strides.append(b.mul(i64(step), xstrides[axis]))
        else:
            raise NotImplementedError(f"index entry {entry!r}")
        axis += 1
    return base, out_shape, out_strides


@lowers("getitem")
def lower_getitem(fl: FunctionLowering, op: Op) -> None:
    x, traced = op.operands[0], op.operands[1:]
    r = op.results[0]
    b = fl.builder
    dtype = x.type.dtype
    if not x.type.ndim:
        fl.bind(r, fl.get(x))
        return
    base, shape, strides = _view(fl, x, op.attrs["index"], traced)
    src = fl.get(x)
    if not r.type.ndim:
        fl.bind(r, load(b, src, dtype, base))
        return
    if (r not in fl.dest and x not in fl.frame.owned
            and _contiguous_block(x.type, op.attrs["index"])):
        # A view (`xs[t]` of an input: no copy): `x`'s buffer is not this region's, so it
        # outlives `r` here and nothing here updates it in place; `r` is not owned either,
        # so it is never freed or updated in place and leaves the region as a copy (the
        # same rules as `FunctionLowering.forward`).
        fl.bind(r, element_ptr(b, src, dtype, base))
        return
    dst = fl.alloc(r)
    out_strides = _c_strides(b, shape)

    def body(offsets):
        store(b, load(b, src, dtype, offsets[0]), dst, dtype, offsets[1])

    strided_loop(b, shape, [strides, out_strides], [base, i64(0)], body)


def _contiguous_block(t: T.TensorType, entries) -> bool:
    """Whether `x[index]` is one C-contiguous run of `x`'s buffer: scalar indices on leading
    axes, then at most one step-1 slice, then whole axes."""
    i = 0
    while i < len(entries) and entries[i][0] in ("int", "dynamic"):
        i += 1
    axis = i
    for k, entry in enumerate(entries[i:]):
        kind = entry[0]
        whole = kind == "full" or (kind == "slice" and entry[1:] == (0, t.shape[axis], 1))
        if not whole and not (k == 0 and kind == "slice" and entry[3] == 1):
            return False
        axis += 1
    return True


def _c_strides(b: ir.IRBuilder, shape: Sequence[ir.Value]) -> list[ir.Value]:
    strides = [i64(1)] * len(shape)
    for a in range(len(shape) - 2, -1, -1):
        strides[a] = b.mul(strides[a + 1], shape[a + 1])
    return strides


@lowers("setitem")
def lower_setitem(fl: FunctionLowering, op: Op) -> None:
    x, v, traced = op.operands[0], op.operands[1], op.operands[2:]
    r = op.results[0]
    b = fl.builder
    dtype = x.type.dtype
    if not x.type.ndim:
        fl.bind(r, cast(b, fl.get(v), v.type.dtype, dtype))
        return
    # Check the indices before touching any buffer.
    base, shape, strides = _view(fl, x, op.attrs["index"], traced)
    dst = fl.alloc(r, reuse=[x])
    if dst is not fl.get(x):
        fl.memcpy(dst, fl.get(x), fl.nbytes(x.type))
    if not v.type.ndim:
        value = cast(b, fl.get(v), v.type.dtype, dtype)
        if not shape:
            store(b, value, dst, dtype, base)
            return
        strided_loop(b, shape, [strides], [base],
                     lambda offs: store(b, value, dst, dtype, offs[0]))
        return
    # v broadcasts against the selected region (NumPy's rule, checked at trace time).
    vshape = fl.shape(v.type)
    vstrides = _c_strides(b, vshape)
    pad = len(shape) - len(vshape)
    v_layout = [None if k < pad or v.type.shape[k - pad] == 1 else vstrides[k - pad]
                for k in range(len(shape))]
    src = fl.get(v)

    def body(offsets):
        x_ = cast(b, load(b, src, v.type.dtype, offsets[1]), v.type.dtype, dtype)
        store(b, x_, dst, dtype, offsets[0])

    strided_loop(b, shape, [strides, v_layout], [base, i64(0)], body)


@lowers("take")
def lower_take(fl: FunctionLowering, op: Op) -> None:
    """`x[..., idx, ...]` along `axis` with an integer array: result element
    (o, j, i) = x[o, idx[j] (wrapped once, bounds-checked), i]."""
    x, idx = op.operands
    r = op.results[0]
    b = fl.builder
    axis = op.attrs["axis"]
    shape = fl.shape(x.type)
    from functools import reduce
    outer = reduce(b.mul, shape[:axis], i64(1))
    inner = reduce(b.mul, shape[axis + 1:], i64(1))
    n = shape[axis]
    count = fl.size(idx.type)
    src, dtype = fl.get(x), x.type.dtype
    dst = fl.alloc(r) if r.type.ndim else fl.alloca(mem_type(dtype))
    from ..loops import for_range
    with for_range(b, outer, name="o") as o:
        with for_range(b, count, name="t") as t:
            raw = load(b, fl.get(idx), idx.type.dtype, t) if idx.type.ndim else fl.get(idx)
            raw = cast(b, raw, idx.type.dtype, T.INT64)
            k = b.select(b.icmp_signed("<", raw, i64(0)), b.add(raw, n), raw)
            if fl.boundscheck:
                fl.check(b.icmp_unsigned(">=", k, n), abi.STATUS_INDEX_ERROR, [raw, i64(axis), n])
            s = b.mul(b.add(b.mul(o, n), k), inner)
            d = b.mul(b.add(b.mul(o, count), t), inner)
            with for_range(b, inner, name="in") as i:
                store(b, load(b, src, dtype, b.add(s, i)), dst, dtype, b.add(d, i))
    if not r.type.ndim:
        fl.bind(r, load(b, dst, dtype))
