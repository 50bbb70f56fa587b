"""Lane-parallel lowering of `parallel` loops: several iterations at once, one per SIMD lane.

A `while_loop[parallel=True]` (ir/passes/parallel_loops.py: independent iterations, single
element stores, integer sums) whose body holds a data-dependent inner loop (Mandelbrot's
escape loop per pixel, Collatz's loop per start) defeats LLVM's loop vectorizer, and its
scalar code is bound by the latency of one iteration's dependency chain. This module runs
`LANE_WIDTH` consecutive iterations of it together, every scalar value of the body becoming a
`<LANE_WIDTH x T>` vector, as ispc does for SPMD programs (Pharr and Mark, "ispc: A SPMD
Compiler for High-Performance CPU Programming", InPar 2012) and as whole-function
vectorization does for control flow (Karrenberg and Hack, "Whole-Function Vectorization",
CGO 2011):

* a nested `cond` runs both branches under the lanes' mask and selects per lane;
* a nested `while_loop` runs while any lane is active; a lane whose test fails keeps its
  values (a `select` on the mask per carried value) until all lanes are done;
* `getitem` of an array from outside the loop is a masked gather, the loop's element store a
  scatter; an integer sum is a vector of per-lane partial sums, added up after each chunk;
* every run-time check (an index out of bounds, a Python int overflow, the partial sums'
  addition) tests all active lanes at once; when one fails, the chunk is abandoned and the
  ordinary scalar loop takes over from the chunk's first iteration. That loop also runs the
  last `< LANE_WIDTH` iterations. So results, errors and their order are those of the scalar
  loop: a chunk only writes elements the scalar loop would write with the same values, and
  nothing in the loop reads them.

The scalar rules of `scalar.py` are reused unchanged on vectors (`LaneLowering` stands in for
the `FunctionLowering` they receive): only ops listed in `LANE_OPS` are accepted, whose rules
are plain LLVM instructions or vector intrinsics, so every lane computes exactly what the
scalar code computes.
"""

from __future__ import annotations

from typing import Sequence

import llvmlite.ir as ir

from ...ir import types as T
from ...ir.core import Literal, Op, Region, Value
from ...ir.passes.parallel_loops import defined_inside
from ..llvmtypes import I1, I32, I64, I8, PTR, cast, const, mem_type, reg_type
from ..target import HAS_AVX512F
from .scalar import emit_scalar_op

#: Iterations run together: four vector registers' worth of 64-bit lanes, so each value's
#: dependency chain runs four times over, interleaved, which hides the latency of one
#: (measured on Zen 5: 32 lanes run Mandelbrot 1.25x and Collatz 1.26x faster than 16).
LANE_WIDTH: int = 32 if HAS_AVX512F else 16

#: Elementwise ops whose `scalar.py` rules are vector-clean (instructions and vector
#: intrinsics only, no libm calls or scalar control flow).
LANE_OPS = frozenset({
    "add", "subtract", "multiply", "true_divide", "floor_divide", "remainder", "negative",
    "positive", "absolute", "square", "equal", "not_equal", "less", "less_equal", "greater",
    "greater_equal", "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and",
    "bitwise_or", "bitwise_xor", "invert", "maximum", "minimum", "fmax", "fmin", "clip", "sqrt",
    "floor", "ceil", "trunc", "rint", "isnan", "isinf", "isfinite", "copysign", "sign",
    "where", "astype"})


# -- which loops ---------------------------------------------------------------------------------

def vectorizable(loop: Op) -> bool:
    """Run `loop` in lanes? It is `parallel`, its body has an inner `while_loop` (a body of
    straight-line code is left to LLVM's loop vectorizer) and every op can run in lanes."""
    if not loop.attrs.get("parallel"):
        return False
    body = loop.regions[1]
    if not any(op.name == "while_loop" for op in body.walk()):
        return False
    carried_arrays = {id(a) for a in body.args if a.type.ndim}
    inside = defined_inside(body) | {id(a) for a in loop.regions[0].args}
    return _lane_region(body, inside, carried_arrays)


def _lane_region(region: Region, inside: set, carried_arrays: set) -> bool:
    return all(_lane_op(op, inside, carried_arrays) for op in region.ops) and \
        all(not v.type.ndim for v in region.yields if id(v) not in carried_arrays)


def _scalar_values(values: Sequence[Value]) -> bool:
    return all(not v.type.ndim and v.type.dtype in T.SUPPORTED_DTYPES for v in values)


def _lane_op(op: Op, inside: set, carried_arrays: set) -> bool:
    if op.name == "setitem":
        # The loop's own element store (the pass checked its index); its result is yielded.
        carried_arrays.add(id(op.results[0]))
        return id(op.operands[0]) in carried_arrays and _scalar_values(op.operands[1:])
    if op.name == "getitem":
        x = op.operands[0]
        return (x.type.ndim > 0 and id(x) not in inside and _scalar_values(op.results)
                and _scalar_values(op.operands[1:])
                and all(e[0] in ("int", "dynamic") for e in op.attrs["index"]))
    if op.name in ("cond", "while_loop"):
        return _scalar_values(op.operands) and _scalar_values(op.results) and all(
            _lane_region(r, inside, carried_arrays) for r in op.regions)
    return op.name in LANE_OPS and _scalar_values(op.operands) and _scalar_values(op.results)


# -- the lowering ----------------------------------------------------------------------------------

def vector_type(ty: ir.Type, width: int) -> ir.VectorType:
    return ir.VectorType(ty, width)


def _suffix(ty: ir.Type) -> str:
    """LLVM's overloaded-intrinsic suffix of a type: `f64`, `i1`, `v16f64`."""
    if isinstance(ty, ir.VectorType):
        return f"v{ty.count}{_suffix(ty.element)}"
    return {"float": "f32", "double": "f64"}.get(str(ty), str(ty))


class LaneLowering:
    """Lowers the ops of a `parallel` loop's body with one lane per iteration.

    It stands in for the `FunctionLowering` (`fl`) the scalar rules receive: `get` returns
    vectors (values from outside the loop are broadcast), `check` tests the active lanes and
    branches to `fallback` (the scalar loop) when one fails, `call_intrinsic` names vector
    intrinsics; anything else is `fl`'s.

    Attributes:
      fl: the function's `FunctionLowering`.
      width: lanes per vector.
      fallback: the block that starts the scalar loop.
      mask: `<width x i1>`, the lanes whose code is running (inside `cond` branches and
        inner loops, a subset); checks only count these.
      buffers: the loop's carried arrays -> their buffers (written by the element stores).
      partials: the values that are a lane's partial sum of one of the loop's reductions.
    """

    def __init__(self, fl, width: int, fallback: ir.Block, uniform: ir.Block):
        self.fl = fl
        self.width = width
        self.fallback = fallback
        self.values: dict[Value, ir.Value] = {}
        self.buffers: dict[Value, ir.Value] = {}
        self.partials: set[Value] = set()
        self.mask: ir.Value = self.splat_constant(ir.Constant(I1, 1))
        # Broadcasts of outside values go to `uniform`, a block that dominates the body.
        self._uniform = ir.IRBuilder(uniform)
        self._uniform.position_before(uniform.terminator)

    def __getattr__(self, name):
        return getattr(self.fl, name)

    @property
    def check_guard(self) -> ir.Value:
        # Not None: the rules then add no `nsw` (inactive lanes may hold any value).
        return self.mask

    # -- values ------------------------------------------------------------------------------
    def splat_constant(self, c: ir.Constant) -> ir.Constant:
        return ir.Constant(vector_type(c.type, self.width), c.constant)

    def splat(self, x: ir.Value, builder: ir.IRBuilder | None = None) -> ir.Value:
        """`x` in every lane (at `builder`'s position, default the current one)."""
        if isinstance(x, ir.Constant):
            return self.splat_constant(x)
        b = builder or self.fl.builder
        ty = vector_type(x.type, self.width)
        one = b.insert_element(ir.Constant(ty, None), x, ir.Constant(I32, 0))
        return b.shuffle_vector(one, ir.Constant(ty, None),
                                ir.Constant(vector_type(I32, self.width), [0] * self.width))

    def get(self, v: Value) -> ir.Value:
        x = self.values.get(v)
        if x is None:
            if isinstance(v, Literal):
                x = self.splat_constant(const(v.type.dtype, v.value))
            else:
                x = self.splat(self.fl.get(v), self._uniform)
            self.values[v] = x
        return x

    def bind(self, v: Value, x: ir.Value) -> None:
        self.values[v] = x

    def zeros(self, ty: ir.Type) -> ir.Constant:
        return ir.Constant(vector_type(ty, self.width), None)

    # -- checks and intrinsics -------------------------------------------------------------------
    def any(self, flags: ir.Value) -> ir.Value:
        """The i1 OR of a `<width x i1>`."""
        return self.call_intrinsic("vector.reduce.or", [flags], ret=I1)

    def check(self, failed: ir.Value, status: int = 0, fields: Sequence = (), *,
              masked: bool = True) -> None:
        """Go to the scalar loop if `failed` holds in an active lane (in any element if not
        `masked`); which error it is, the scalar loop finds out."""
        b = self.fl.builder
        if masked and isinstance(failed.type, ir.VectorType):
            failed = b.select(self.mask, failed, self.zeros(I1))
        if isinstance(failed.type, ir.VectorType):
            failed = self.any(failed)
        ok = self.fl.fn.append_basic_block("lanes.ok")
        b.cbranch(failed, self.fallback, ok).set_weights([1, 1 << 20])
        b.position_at_end(ok)

    def call_intrinsic(self, name: str, args: Sequence[ir.Value], ret: ir.Type | None = None,
                       fast: bool = False) -> ir.Value:
        ty = args[0].type
        fn = self.fl.function(f"llvm.{name}.{_suffix(ty)}", ret or ty, [a.type for a in args])
        return self.fl.builder.call(fn, list(args), fastmath=self.fl.flags if fast else ())

    # -- ops ---------------------------------------------------------------------------------
    def lower_ops(self, region: Region) -> None:
        for op in region.ops:
            _RULES.get(op.name, _lower_elementwise)(self, op)

    def element_pointers(self, x: Value, entries, traced: Sequence[Value],
                         base: ir.Value) -> ir.Value:
        """`<width x ptr>`: the address of `x[index]` per lane, indices wrapped once if
        negative and bounds-checked (a failure goes to the scalar loop, which raises)."""
        fl, b = self.fl, self.fl.builder
        shape = fl.shape(x.type)
        strides = [ir.Constant(I64, 1)] * len(shape)
        for a in range(len(shape) - 2, -1, -1):
            strides[a] = b.mul(strides[a + 1], shape[a + 1])
        offset = self.zeros(I64)
        for axis, entry in enumerate(entries):
            if entry[0] == "int":
                idx = self.splat_constant(ir.Constant(I64, entry[1]))
            else:
                v = traced[entry[1]]
                idx = cast(b, self.get(v), v.type.dtype, T.INT64)
                size = self.splat(shape[axis])
                idx = b.select(b.icmp_signed("<", idx, self.zeros(I64)), b.add(idx, size), idx)
                if fl.boundscheck:
                    self.check(b.icmp_unsigned(">=", idx, size))
            offset = b.add(offset, b.mul(idx, self.splat(strides[axis])))
        p = b.gep(base, [offset], inbounds=True, source_etype=mem_type(x.type.dtype))
        p.type = vector_type(PTR, self.width)   # llvmlite types a vector-index GEP as `ptr`
        return p


def _lower_elementwise(lanes: LaneLowering, op: Op) -> None:
    r = op.results[0]
    attrs = op.attrs
    if any(v in lanes.partials for v in op.operands):
        lanes.partials.add(r)
        step = op.operands[1]
        if isinstance(step, Literal) and step.value in (1, -1):
            # A partial sum starts at 0 in each chunk and counts iterations of this call by
            # one: it cannot reach 2**63 (that many iterations take centuries), so the
            # counter needs no overflow check; adding the partials up is checked.
            attrs = {**attrs, "nooverflow": True}
    lanes.bind(r, emit_scalar_op(lanes, op.name, attrs, [v.type for v in op.operands], r.type,
                                 [lanes.get(v) for v in op.operands]))


def _lower_cond(lanes: LaneLowering, op: Op) -> None:
    """Both branches, each under the mask of the lanes that take it; `select` per lane."""
    b = lanes.builder
    pred = lanes.get(op.operands[0])
    outer = lanes.mask
    outs = []
    for region, taken in zip(op.regions, (pred, b.not_(pred))):
        lanes.mask = b.select(outer, taken, lanes.zeros(I1))
        lanes.lower_ops(region)
        outs.append([lanes.get(v) for v in region.yields])
    lanes.mask = outer
    for i, (r, x, y) in enumerate(zip(op.results, *outs)):
        lanes.bind(r, b.select(pred, x, y))
        if any(region.yields[i] in lanes.partials for region in op.regions):
            lanes.partials.add(r)


def _lower_while(lanes: LaneLowering, op: Op) -> None:
    """Iterate while any active lane's test holds; other lanes keep their values."""
    fl, b = lanes.fl, lanes.builder
    test, body = op.regions
    init = [lanes.get(v) for v in op.operands]
    pre = b.block
    header = fl.fn.append_basic_block("lanes.while.header")
    body_bb = fl.fn.append_basic_block("lanes.while.body")
    exit_bb = fl.fn.append_basic_block("lanes.while.exit")
    b.branch(header)
    b.position_at_end(header)
    outer = lanes.mask
    phis = []
    for x in init:
        phi = b.phi(x.type)
        phi.add_incoming(x, pre)
        phis.append(phi)
    active = b.phi(outer.type)
    active.add_incoming(outer, pre)
    for a, phi in zip(test.args, phis):
        lanes.bind(a, phi)
    for i, v in enumerate(op.operands):
        if v in lanes.partials:
            lanes.partials.update((test.args[i], body.args[i], op.results[i]))
    lanes.mask = active
    lanes.lower_ops(test)
    running = b.select(active, lanes.get(test.yields[0]), lanes.zeros(I1))
    b.cbranch(lanes.any(running), body_bb, exit_bb)

    b.position_at_end(body_bb)
    for a, phi in zip(body.args, phis):
        lanes.bind(a, phi)
    lanes.mask = running
    lanes.lower_ops(body)
    outs = [b.select(running, lanes.get(v), phi) for v, phi in zip(body.yields, phis)]
    for phi, x in zip(phis, outs):
        phi.add_incoming(x, b.block)
    active.add_incoming(running, b.block)
    b.branch(header)

    b.position_at_end(exit_bb)
    lanes.mask = outer
    for r, phi in zip(op.results, phis):
        lanes.bind(r, phi)


def _lower_getitem(lanes: LaneLowering, op: Op) -> None:
    """A masked gather: inactive lanes may hold any index and must not load."""
    x, r = op.operands[0], op.results[0]
    b = lanes.builder
    ptrs = lanes.element_pointers(x, op.attrs["index"], op.operands[1:], lanes.fl.get(x))
    ty = vector_type(mem_type(x.type.dtype), lanes.width)
    gather = lanes.fl.function(f"llvm.masked.gather.{_suffix(ty)}.v{lanes.width}p0", ty,
                               [ptrs.type, lanes.mask.type, ty])
    value = b.call(gather, [ptrs, lanes.mask, ir.Constant(ty, None)])
    if x.type.dtype == T.BOOL:   # NumPy's bool bytes: any non-zero byte is True
        value = b.icmp_unsigned("!=", value, lanes.zeros(I8))
    lanes.bind(r, value)


def _lower_setitem(lanes: LaneLowering, op: Op) -> None:
    """The loop's element store: a scatter (lanes write distinct elements)."""
    x, v = op.operands[0], op.operands[1]
    b = lanes.builder
    ptrs = lanes.element_pointers(x, op.attrs["index"], op.operands[2:], lanes.buffers[x])
    value = cast(b, lanes.get(v), v.type.dtype, x.type.dtype)
    if x.type.dtype == T.BOOL:
        value = b.zext(value, vector_type(I8, lanes.width))
    scatter = lanes.fl.function(f"llvm.masked.scatter.{_suffix(value.type)}.v{lanes.width}p0",
                                ir.VoidType(), [value.type, ptrs.type, lanes.mask.type])
    b.call(scatter, [value, ptrs, lanes.mask])
    lanes.buffers[op.results[0]] = lanes.buffers[x]


_RULES = {"cond": _lower_cond, "while_loop": _lower_while, "getitem": _lower_getitem,
          "setitem": _lower_setitem}


def _checked_sum(lanes: LaneLowering, partials: ir.Value, total: ir.Value) -> ir.Value:
    """`total` plus the lanes' partial sums, pairwise, each addition checked for int
    overflow (a failure goes to the scalar loop, which adds in order)."""
    b = lanes.builder
    width = lanes.width
    while width > 1:
        width //= 2
        lo = b.shuffle_vector(partials, partials,
                              ir.Constant(vector_type(I32, width), list(range(width))))
        hi = b.shuffle_vector(partials, partials,
                              ir.Constant(vector_type(I32, width), list(range(width, 2 * width))))
        partials = _checked_add(lanes, lo, hi)
    return _checked_add(lanes, total, b.extract_element(partials, ir.Constant(I32, 0)))


def _checked_add(lanes: LaneLowering, a: ir.Value, x: ir.Value) -> ir.Value:
    b = lanes.builder
    flag = ir.VectorType(I1, a.type.count) if isinstance(a.type, ir.VectorType) else I1
    pair = lanes.call_intrinsic("sadd.with.overflow", [a, x],
                                ret=ir.LiteralStructType([a.type, flag]))
    lanes.check(b.extract_value(pair, 1), masked=False)
    return b.extract_value(pair, 0)


def lower_in_lanes(fl, loop: Op, init: list[ir.Value]) -> list[ir.Value]:
    """Emit the lane loop of `parallel` loop `loop` (`vectorizable`) before its scalar loop.

    Chunks of `LANE_WIDTH` iterations run until none remain (the last chunk's lanes past the
    bound are masked off); when a chunk fails a check, the builder is left in the block that
    starts the scalar loop, and the returned values are the scalar loop's initial values
    (the counter and sums where the lanes stopped, or the bound and the final sums; the
    arrays' buffers, updated in place).
    """
    b = fl.builder
    width = LANE_WIDTH
    test, body = loop.regions
    k = loop.attrs["induction"]
    reductions = loop.attrs.get("reductions", ())
    bound = fl.get(test.ops[0].operands[1])
    pre = b.block
    header = fl.fn.append_basic_block("lanes.header")
    uniform = fl.fn.append_basic_block("lanes.uniform")
    body_bb = fl.fn.append_basic_block("lanes.body")
    fallback = fl.fn.append_basic_block("lanes.done")
    b.branch(header)
    b.position_at_end(header)
    counter = b.phi(init[k].type)
    counter.add_incoming(init[k], pre)
    sums = {}
    for m in reductions:
        sums[m] = b.phi(init[m].type)
        sums[m].add_incoming(init[m], pre)
    b.cbranch(b.icmp_signed("<", counter, bound), uniform, fallback)
    ir.IRBuilder(uniform).branch(body_bb)

    b.position_at_end(body_bb)
    lanes = LaneLowering(fl, width, fallback, uniform)
    # Lanes counter + l for l < bound - counter (exact as an unsigned number: counter < bound)
    # run; the others (past the bound, in the last chunk) wrap harmlessly and are masked.
    remaining = b.sub(bound, counter)
    lane_ids = ir.Constant(vector_type(counter.type, width), list(range(width)))
    lanes.mask = b.icmp_unsigned("<", lane_ids, lanes.splat(remaining))
    lanes.bind(body.args[k], b.add(lanes.splat(counter), lane_ids))
    for m, a in enumerate(body.args):
        if m in sums:
            lanes.bind(a, lanes.zeros(init[m].type))
            lanes.partials.add(a)
        elif a.type.ndim:
            lanes.buffers[a] = init[m]
    lanes.lower_ops(body)
    totals = {}
    for m in reductions:
        partials = b.select(lanes.mask, lanes.get(body.yields[m]), lanes.zeros(init[m].type))
        totals[m] = _checked_sum(lanes, partials, sums[m])
    for m, total in totals.items():
        sums[m].add_incoming(total, b.block)
    last = b.icmp_unsigned("<=", remaining, ir.Constant(counter.type, width))
    step = b.add(counter, ir.Constant(counter.type, width))   # may wrap only when `last`
    counter.add_incoming(b.select(last, bound, step), b.block)
    b.branch(header)

    b.position_at_end(fallback)
    out = list(init)
    out[k] = counter
    for m, phi in sums.items():
        out[m] = phi
    return out
