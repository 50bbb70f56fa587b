"""Float `max`/`min` of a contiguous block: a plain SIMD loop, exact by a fallback.

NumPy's max/min propagate NaN, and flowjit orders -0.0 below 0.0 (`llvm.maximum`, see
`reduction._combine_rule`). The sequential `llvm.maximum` loop that the vectorizer turns into
SIMD code pays for both rules on every element: six instructions per vector on AVX-512
(a sign test, blends and a NaN test around `vmaxps`), and as many again per step of the
horizontal reduction. That was a quarter of a 1024-float row softmax.

Neither rule can matter unless the block holds a NaN or its extremum is a zero: otherwise the
extremum is one real number, and every element equal to it has the same bits. So
`@fj.<max|min>.<dtype>(ptr a, i64 n)`
  1. runs `U` accumulators of `W`-lane vectors with `x > acc ? x : acc` (`vmaxps`, one
     instruction; `<` and `vminps` for min), or-ing a NaN test of each element into a mask;
  2. reduces them (a shuffle tree, then a scalar tail);
  3. if a NaN was seen or the result is a zero, returns the sequential `llvm.maximum` loop's
     result instead (recomputed: correct whatever the rare case).
The result is always the sequential loop's, bit for bit.
"""

from __future__ import annotations

import llvmlite.ir as ir
import numpy as np

from .. import target
from ..llvmtypes import I1, I64, PTR, const, i64, reg_type
from ..loops import for_range

#: Independent accumulators (the compare-select has a latency of 2-3 cycles).
ACCUMULATORS = 4


def lanes(dtype: np.dtype) -> int:
    """Elements per SIMD vector on the host (512-bit with AVX-512F, else 256-bit)."""
    return (64 if target.HAS_AVX512F else 32) // dtype.itemsize


def supported(name: str, src: np.dtype, acc: np.dtype) -> bool:
    """Whether `extremum` computes reduction `name` of `src` elements into `acc`."""
    return name in ("max", "min") and src == acc and src in (np.float32, np.float64)


def extremum(fl, name: str, base: ir.Value, count: ir.Value, dtype: np.dtype,
             identity: ir.Constant, combine) -> ir.Value:
    """`combine`'s sequential reduction of the `count` contiguous `dtype` elements at `base`,
    from `identity` (the max or min; see the module docstring).

    Args:
      fl: the FunctionLowering (its module gets the helper function).
      name: "max" or "min" (`supported`).
      combine: `combine(fl, acc, x)`, the exact rule (`reduction._combine_rule`).
    """
    fn = _function(fl, name, dtype, identity, combine)
    return fl.builder.call(fn, [base, count])


def _function(fl, name: str, dtype: np.dtype, identity: ir.Constant, combine) -> ir.Function:
    fname = f"fj.{name}.{dtype.name}"
    existing = fl.module.globals.get(fname)
    if existing is not None:
        return existing
    ty = reg_type(dtype)
    w, u = lanes(dtype), ACCUMULATORS
    vty = ir.VectorType(ty, w)
    fn = ir.Function(fl.module, ir.FunctionType(ty, [PTR, I64]), name=fname)
    fn.linkage = "internal"
    fn.attributes.add("nounwind")
    a, n = fn.args
    a.add_attribute("captures(none)")
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    pred = ">" if name == "max" else "<"

    def better(x, acc):
        return b.select(b.fcmp_ordered(pred, x, acc), x, acc)

    def nan(x):
        return b.fcmp_unordered("uno", x, x)

    # Stack slots in the entry block (SROA makes them registers).
    accs = [b.alloca(vty) for _ in range(u)]
    nans = [b.alloca(ir.VectorType(I1, w)) for _ in range(u)]
    tail_acc, tail_nan, exact = b.alloca(ty), b.alloca(I1), b.alloca(ty)
    for p in accs:
        b.store(ir.Constant(vty, [identity.constant] * w), p)
    for p in nans:
        b.store(ir.Constant(ir.VectorType(I1, w), [0] * w), p)
    b.store(identity, tail_acc)
    b.store(ir.Constant(I1, 0), tail_nan)

    step = w * u
    blocks = b.sdiv(n, i64(step))
    with for_range(b, blocks, name="blk") as j:
        first = b.mul(j, i64(step))
        for k in range(u):
            p = b.gep(a, [b.add(first, i64(k * w))], source_etype=ty, inbounds=True)
            x = b.load(p, typ=vty, align=dtype.itemsize)
            b.store(better(x, b.load(accs[k], typ=vty)), accs[k])
            b.store(b.or_(b.load(nans[k]), nan(x)), nans[k])
    with for_range(b, n, start=b.mul(blocks, i64(step)), name="tail") as i:
        x = b.load(b.gep(a, [i], source_etype=ty, inbounds=True), typ=ty)
        b.store(better(x, b.load(tail_acc, typ=ty)), tail_acc)
        b.store(b.or_(b.load(tail_nan, typ=I1), nan(x)), tail_nan)

    vec = [b.load(p, typ=vty) for p in accs]
    while len(vec) > 1:
        vec = [better(vec[k], vec[k + 1]) for k in range(0, len(vec), 2)]
    v, width = vec[0], w
    while width > 1:
        width //= 2
        undef = ir.Constant(v.type, ir.Undefined)
        lo = b.shuffle_vector(v, undef, ir.Constant(ir.VectorType(ir.IntType(32), width),
                                                     list(range(width))))
        hi = b.shuffle_vector(v, undef, ir.Constant(ir.VectorType(ir.IntType(32), width),
                                                     list(range(width, 2 * width))))
        v = better(lo, hi)
    result = better(b.extract_element(v, i64(0)), b.load(tail_acc, typ=ty))
    seen = b.load(nans[0])
    for p in nans[1:]:
        seen = b.or_(seen, b.load(p))
    any_nan = b.or_(b.icmp_unsigned("!=", b.bitcast(seen, ir.IntType(w)), ir.Constant(
        ir.IntType(w), 0)), b.load(tail_nan, typ=I1))
    rare = b.or_(any_nan, b.fcmp_ordered("==", result, const(dtype, 0.0)))
    with b.if_then(rare, likely=False):
        b.store(identity, exact)
        with for_range(b, n, name="exact") as i:
            x = b.load(b.gep(a, [i], source_etype=ty, inbounds=True), typ=ty)
            saved, fl.builder = fl.builder, b
            try:
                b.store(combine(fl, b.load(exact, typ=ty), x), exact)
            finally:
                fl.builder = saved
        b.ret(b.load(exact, typ=ty))
    b.ret(result)
    return fn
