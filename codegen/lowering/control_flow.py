"""Lowering of `cond` (branches + phis) and `while_loop` (header/body/exit with one phi per
carried value; arrays are carried as owned buffers)."""

from __future__ import annotations

import llvmlite.ir as ir

from ...ir.core import Literal, Op
from ..llvmtypes import PTR, reg_type
from ..lower import FunctionLowering, lowers
from . import lanes


def _phi_type(v) -> ir.Type:
    return PTR if v.type.ndim else reg_type(v.type.dtype)


#: 0-d ops cheap enough to run on the path not taken, and that cannot trap there (a run-time
#: check they make, e.g. Python int overflow, is guarded by the branch predicate).
SPECULATABLE = frozenset({
    "add", "subtract", "multiply", "negative", "positive", "absolute", "equal", "not_equal",
    "less", "less_equal", "greater", "greater_equal", "logical_and", "logical_or",
    "logical_not", "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor", "invert",
    "maximum", "minimum", "where", "astype", "true_divide"})

#: A branch with more ops than this keeps its own basic block.
MAX_SPECULATED_OPS = 6


def _speculatable_op(op: Op) -> bool:
    if op.regions or op.opdef.effects or any(v.type.ndim for v in op.operands) or \
            any(r.type.ndim for r in op.results):
        return False
    if op.name in ("floor_divide", "remainder"):
        # Integer division by a literal other than 0 and -1 never traps (`n // 2`).
        d = op.operands[1]
        return (isinstance(d, Literal) and op.results[0].type.dtype.kind == "i"
                and not isinstance(d.value, bool) and d.value not in (0, -1))
    return op.name in SPECULATABLE


def _is_control_flag(v, depth: int = 4) -> bool:
    """Is `v` a control flag: a bool some `cond` sets to a literal in one branch (AutoGraph's
    `break_`/`continue_`/`do_return = True`), or its negation?"""
    p = v.producer
    while p is not None and p.name == "logical_not" and depth > 0:
        v, p, depth = p.operands[0], p.operands[0].producer, depth - 1
    if p is None or p.name != "cond" or v.type.dtype.kind != "b":
        return False
    return any(isinstance(r.yields[v.index], Literal) for r in p.regions)


def speculatable(op: Op) -> bool:
    """Can `cond` op run both branches and select (no arrays, no effects, few cheap ops)?

    Not when the predicate is a control flag (`if not break_:` guarding the rest of a loop
    body after a `break`): as a branch, LLVM's jump threading turns the flag back into the
    early exit it stands for, so the loop carries no flag and no selects (mandelbrot's escape
    test: the selects put the escape compare on the loop-carried `zr`/`zi` chain, 2x slower).
    """
    if _is_control_flag(op.operands[0]):
        return False
    return all(len(r.ops) <= MAX_SPECULATED_OPS and all(_speculatable_op(o) for o in r.ops)
               and not any(v.type.ndim for v in r.yields) for r in op.regions)


def _lower_cond_as_select(fl: FunctionLowering, op: Op) -> None:
    """Both branches straight-line, results by `select`: no unpredictable branch (Collatz's
    `n // 2 if n % 2 == 0 else 3 * n + 1`). Checks inside a branch fail only if it is taken."""
    b = fl.builder
    pred = fl.get(op.operands[0])
    outs = []
    saved_pending, fl.pending_checks = fl.pending_checks, []
    try:
        for region, guard in zip(op.regions, (pred, b.not_(pred))):
            fl.push_region(region)
            saved = fl.check_guard
            fl.check_guard = guard if saved is None else b.and_(saved, guard)
            try:
                fl.lower_ops(region)
            finally:
                fl.check_guard = saved
            outs.append(fl.yields(region))
            fl.pop_region()
        fl.flush_checks()
    finally:
        fl.pending_checks = saved_pending
    for r, x, y in zip(op.results, *outs):
        fl.bind(r, b.select(pred, x, y))


@lowers("cond")
def lower_cond(fl: FunctionLowering, op: Op) -> None:
    """`cond`: each branch lowers its region, hands its yields over (arrays it owns are
    transferred, others copied) and frees the rest; a phi per result joins them. The
    enclosing region owns the array results. Small scalar conds become selects."""
    if speculatable(op):
        _lower_cond_as_select(fl, op)
        return
    b = fl.builder
    then_bb = fl.fn.append_basic_block("cond.then")
    else_bb = fl.fn.append_basic_block("cond.else")
    merge_bb = fl.fn.append_basic_block("cond.end")
    b.cbranch(fl.get(op.operands[0]), then_bb, else_bb)
    incoming = []
    for region, bb in zip(op.regions, (then_bb, else_bb)):
        b.position_at_end(bb)
        fl.push_region(region)
        fl.lower_ops(region)
        outs = fl.yields(region)
        fl.pop_region()
        incoming.append((outs, b.block))
        b.branch(merge_bb)
    b.position_at_end(merge_bb)
    for k, r in enumerate(op.results):
        phi = b.phi(_phi_type(r))
        for outs, block in incoming:
            phi.add_incoming(outs[k], block)
        fl.bind(r, phi)
        if r.type.ndim:
            fl.frame.owned[r] = phi


@lowers("while_loop")
def lower_while_loop(fl: FunctionLowering, op: Op) -> None:
    """`while_loop`: `pre -> header(phis; cond region) -> body -> header | exit`.

    The loop owns one buffer per carried array: the initial value's buffer when this op is
    its last reader (else a copy); the body region owns its arguments' buffers and transfers
    (or copies) its yields back, so each iteration frees exactly what it no longer needs. The
    cond region only reads the carried values. The final buffers go to the enclosing region.

    A `parallel` loop with an inner loop first runs chunks of iterations in SIMD lanes
    (lanes.py); this scalar loop then starts where they stopped.
    """
    b = fl.builder
    cond_region, body_region = op.regions
    taken: set = set()
    init = []
    for v in op.operands:
        if not v.type.ndim:
            init.append(fl.get(v))
        elif fl.frame.last_used_by(v, fl.op_index, op):
            init.append(fl.take(v, taken))
        else:
            init.append(fl.copy_array(v))
    if lanes.vectorizable(op):
        init = lanes.lower_in_lanes(fl, op, init)
    pre = b.block
    header = fl.fn.append_basic_block("while.header")
    body_bb = fl.fn.append_basic_block("while.body")
    exit_bb = fl.fn.append_basic_block("while.exit")
    b.branch(header)
    b.position_at_end(header)
    phis = []
    for r, x in zip(op.results, init):
        phi = b.phi(_phi_type(r))
        phi.add_incoming(x, pre)
        phis.append(phi)
    fl.push_region(cond_region, phis)
    fl.lower_ops(cond_region)
    (pred,) = fl.yields(cond_region)
    fl.pop_region()
    b.cbranch(pred, body_bb, exit_bb)

    b.position_at_end(body_bb)
    fl.push_region(body_region, phis, owns_args=True)
    fl.lower_ops(body_region)
    outs = fl.yields(body_region)
    fl.pop_region()
    for phi, x in zip(phis, outs):
        phi.add_incoming(x, b.block)
    b.branch(header)

    b.position_at_end(exit_bb)
    for r, phi in zip(op.results, phis):
        fl.bind(r, phi)
        if r.type.ndim:
            fl.frame.owned[r] = phi
