"""Lowering of `matmul`: NumPy's gufunc `(n?,k),(k,m?)->(n?,m?)` with broadcast batch axes.

Each output row is accumulated in i-k-j order (the inner loop runs along contiguous rows of
`b` and of the output, so it vectorizes without reassociating a float sum). NumPy hands floats
to BLAS, whose summation order differs: float results agree to rounding, ints exactly.
"""

from __future__ import annotations

from ...ir.core import Op
from ..llvmtypes import cast, const, i64, load, store
from ..loops import broadcast_loop, for_range
from ..lower import FunctionLowering, lowers
from .scalar import RULES, ScalarOp


@lowers("matmul")
def lower_matmul(fl: FunctionLowering, op: Op) -> None:
    a, bv = op.operands
    r = op.results[0]
    b = fl.builder
    dt = r.type.dtype
    add = RULES["add"][dt.kind]
    mul = RULES["multiply"][dt.kind]
    sop = ScalarOp("matmul", (dt, dt), dt)
    a_shape, b_shape = fl.shape(a.type), fl.shape(bv.type)
    # 1-d operands are a row vector (a) and a column vector (b), as NumPy promotes them.
    a_t = list(a.type.shape)
    b_t = list(bv.type.shape)
    if a.type.ndim == 1:
        a_shape, a_t = [i64(1)] + a_shape, [1] + a_t
    if bv.type.ndim == 1:
        b_shape, b_t = b_shape + [i64(1)], b_t + [1]
    n, k, m = a_shape[-2], a_shape[-1], b_shape[-1]
    batch_nd = max(len(a_shape), len(b_shape)) - 2
    a_batch, b_batch = a_shape[:-2], b_shape[:-2]

    def layout(sizes, static):
        pad = batch_nd - len(sizes)
        return [None if d < pad or static[d - pad] == 1 else sizes[d - pad]
                for d in range(batch_nd)]

    batch_sizes = []
    for d in range(batch_nd):
        cands = [s[d - (batch_nd - len(s))] for s, st in ((a_batch, a_t[:-2]), (b_batch, b_t[:-2]))
                 if d - (batch_nd - len(s)) >= 0 and st[d - (batch_nd - len(s))] != 1]
        batch_sizes.append(cands[0] if cands else i64(1))
    pa, pb = fl.get(a), fl.get(bv)
    zero = const(dt, 0)
    scalar_out = not r.type.ndim
    dst = fl.alloca(fl_type(dt)) if scalar_out else fl.alloc(r)
    nm, nk, km = b.mul(n, m), b.mul(n, k), b.mul(k, m)

    def body(offsets):
        ao, bo, oo = (b.mul(offsets[0], nk), b.mul(offsets[1], km), b.mul(offsets[2], nm))
        with for_range(b, n, name="mi") as i:
            row = b.add(oo, b.mul(i, m))
            with for_range(b, m, name="mj0") as j:
                _store(b, zero, dst, dt, b.add(row, j), scalar_out)
            with for_range(b, k, name="mk") as kk:
                x = cast(b, load(b, pa, a.type.dtype, b.add(ao, b.add(b.mul(i, k), kk))),
                         a.type.dtype, dt)
                brow = b.add(bo, b.mul(kk, m))
                with for_range(b, m, name="mj") as j:
                    y = cast(b, load(b, pb, bv.type.dtype, b.add(brow, j)), bv.type.dtype, dt)
                    at = b.add(row, j)
                    acc = _load(b, dst, dt, at, scalar_out)
                    _store(b, add(fl, [acc, mul(fl, [x, y], sop)], sop), dst, dt, at, scalar_out)

    broadcast_loop(b, batch_sizes, [layout(a_batch, a_t[:-2]), layout(b_batch, b_t[:-2]),
                                    batch_sizes], body)
    if scalar_out:
        fl.bind(r, b.load(dst, typ=fl_type(dt)))


def fl_type(dt):
    from ..llvmtypes import reg_type
    return reg_type(dt)


def _load(b, p, dt, at, scalar):
    return b.load(p, typ=fl_type(dt)) if scalar else load(b, p, dt, at)


def _store(b, v, p, dt, at, scalar):
    if scalar:
        b.store(v, p)
    else:
        store(b, v, p, dt, at)
