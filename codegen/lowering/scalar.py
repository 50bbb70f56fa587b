"""Scalar rules of the elementwise ops: one LLVM instruction sequence per op and dtype.

These rules compute one element; `elementwise.py` wraps them in loops for array ops and for
`fusion` kernels, and 0-d ops call them directly. NumPy semantics follow SEMANTICS.md (traps
1-8, 16); when every operand is a Python scalar (the result is *weak* and the op came from a
Python operator) Python's are used: division by zero raises ZeroDivisionError and int64
overflow raises OverflowError (flowjit's Python ints are 64-bit).
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Sequence

import llvmlite.ir as ir
import numpy as np

from ...ir import types as T
from .. import abi
from ..llvmtypes import I1, I64, cast, const, element_type, like, reg_type


@dataclasses.dataclass(frozen=True)
class ScalarOp:
    """What a scalar rule needs to know about the op it computes.

    Attributes:
      name: the op name (NumPy's ufunc name).
      operand_dtypes: the dtypes of the op's operands (before casting).
      dtype: the dtype the rule computes in (NumPy's inner-loop input dtype; for Python
        arithmetic, the dtype of the Python result).
      python: True for Python-scalar arithmetic (see the module docstring).
      nooverflow: Python int arithmetic proven to stay in int64 (`nooverflow=True`, set by
        the `range_analysis` pass): no OverflowError check.
      operand_ranges: the operands' proven `(lo, hi)` intervals (`range_analysis`, on Python
        products by a constant it could not prove): the check skips an implied bound.
    """

    name: str
    operand_dtypes: tuple[np.dtype, ...]
    dtype: np.dtype
    python: bool = False
    nooverflow: bool = False
    operand_ranges: tuple | None = None


Rule = Callable[["object", Sequence[ir.Value], ScalarOp], ir.Value]

#: op name -> {dtype kind ('b', 'i', 'f') -> rule}; a rule returns a value of `op.dtype`,
#: except the ops in `PREDICATES`, which return `i1`.
RULES: dict[str, dict[str, Rule]] = {}

#: Ops whose rules return a bool whatever the compute dtype.
PREDICATES = {"equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
              "logical_and", "logical_or", "logical_not", "logical_xor", "isnan", "isinf",
              "isfinite", "signbit"}


def rule(name: str, kinds: str):
    """Register the decorated function as op `name`'s rule for dtype kinds `kinds`."""
    def register(fn):
        for k in kinds:
            RULES.setdefault(name, {})[k] = fn
        return fn
    return register


def _zero(x: ir.Value) -> ir.Constant:
    return ir.Constant(x.type, 0.0 if isinstance(element_type(x.type),
                                                 (ir.FloatType, ir.DoubleType)) else 0)


def _int_min(ty: ir.Type) -> ir.Constant:
    return ir.Constant(ty, -(1 << (element_type(ty).width - 1)))


def _constant_int(v: ir.Value) -> int | None:
    """The value of an int constant operand (of every lane, for a vector), else None."""
    if not isinstance(v, ir.Constant):
        return None
    c = v.constant
    if isinstance(c, (tuple, list)):
        lanes = {x.constant for x in c}
        c = lanes.pop() if len(lanes) == 1 else None
    return c if isinstance(c, int) and not isinstance(c, bool) else None


# -- integer arithmetic ----------------------------------------------------------------------------

def _checked_by_constant(fl, which: str, a, b, ranges=None):
    """`a <which> b` for a constant operand: plain wrapping arithmetic (which LLVM can fold
    into `lea` chains) plus one range compare on the other operand, off the critical path;
    None when no operand is a constant. `ranges` (the operands' proven intervals, or None)
    drop a bound the operand is known to satisfy (Collatz's `3 * n` with n >= 1: one signed
    compare against INT64_MAX // 3)."""
    bb = fl.builder
    if _constant_int(b) is not None and not isinstance(a, ir.Constant):
        x, c, x_first = a, _constant_int(b), True
        known = ranges[0] if ranges else None
    elif _constant_int(a) is not None and which != "sub" and not isinstance(b, ir.Constant):
        x, c, x_first = b, _constant_int(a), False
        known = ranges[1] if ranges else None
    else:
        return None
    width = element_type(x.type).width
    lo_int, hi_int = -(1 << (width - 1)), (1 << (width - 1)) - 1
    if which == "add":
        lo, hi = lo_int - min(c, 0), hi_int - max(c, 0)
        result = bb.add(x, b) if x_first else bb.add(a, x)
    elif which == "sub":
        lo, hi = lo_int + max(c, 0), hi_int + min(c, 0)
        result = bb.sub(x, b)
    else:
        if c == 0:
            return ir.Constant(x.type, 0)
        # x * c stays in range iff lo <= x <= hi (Python ints: exact bounds).
        if c > 0:
            lo, hi = -((-lo_int) // c), hi_int // c
        else:
            lo, hi = -((-hi_int) // c), lo_int // c
        result = bb.mul(x, ir.Constant(x.type, c))
    lo, hi = max(lo, lo_int), min(hi, hi_int)
    if known is not None:
        lo = lo_int if known[0] >= lo else lo
        hi = hi_int if known[1] <= hi else hi
    if lo == lo_int and hi == hi_int:
        return result
    # lo <= x <= hi  <=>  (x - lo) <=u (hi - lo)  (wrapping subtraction)
    shifted = bb.sub(x, ir.Constant(x.type, lo))
    failed = bb.icmp_unsigned(">", shifted, ir.Constant(x.type, (hi - lo) & ((1 << width) - 1)))
    fl.check(failed, abi.STATUS_OVERFLOW, [ir.Constant(I64, 0)])
    return result


def _checked(fl, which: str, a, b, ranges=None):
    """`a <which> b` with `llvm.s<which>.with.overflow`; OverflowError status on overflow.

    A product by a constant is a plain `mul` (LLVM's `lea` forms) plus a range compare
    (`_checked_by_constant`). Sums by a constant use the intrinsic: an unproven counter
    (`total += 1`; proven ones carry `nooverflow`) is then `inc` + `jo`, where the range
    compare form cost an extra `lea` and kept LLVM from rotating Collatz's inner loop.
    """
    quick = _checked_by_constant(fl, which, a, b, ranges) if which == "mul" else None
    if quick is not None:
        return quick
    ret = ir.LiteralStructType([a.type, like(a.type, I1)])
    pair = fl.call_intrinsic(f"s{which}.with.overflow", [a, b], ret=ret)
    fl.check(fl.builder.extract_value(pair, 1), abi.STATUS_OVERFLOW, [ir.Constant(I64, 0)])
    return fl.builder.extract_value(pair, 0)


def _arith(fl, which: str, a, b, op: ScalarOp):
    """`a <which> b` as `op` asks: checked Python arithmetic, or wrapping (NumPy), or proven
    not to overflow (`nooverflow`). The proof holds where the op runs in the program, so
    `nsw` is added then, not under a `check_guard` (code of a `cond` branch run
    speculatively, where the operands may be out of the proven range: `nsw` would make the
    discarded result poison, and a check in that branch would branch on it)."""
    if op.python and not op.nooverflow:
        return _checked(fl, which, a, b, op.operand_ranges)
    flags = ("nsw",) if op.nooverflow and fl.check_guard is None else ()
    return getattr(fl.builder, which)(a, b, flags=flags)


@rule("add", "i")
def _int_add(fl, args, op):
    return _arith(fl, "add", *args, op)


@rule("subtract", "i")
def _int_sub(fl, args, op):
    return _arith(fl, "sub", *args, op)


@rule("multiply", "i")
def _int_mul(fl, args, op):
    return _arith(fl, "mul", *args, op)


def _python_int_divisor(fl, a, b, message_id):
    # Python: x // 0 and x % 0 raise; INT64_MIN // -1 is 2**63, which int64 cannot hold.
    b_ = fl.builder
    fl.check(b_.icmp_signed("==", b, _zero(b)), abi.STATUS_ZERO_DIVISION,
             [ir.Constant(I64, message_id)])
    if message_id == abi.ZD_INT_FLOOR_DIVIDE:
        overflow = b_.and_(b_.icmp_signed("==", a, _int_min(a.type)),
                           b_.icmp_signed("==", b, ir.Constant(b.type, -1)))
        fl.check(overflow, abi.STATUS_OVERFLOW, [ir.Constant(I64, 0)])


def _safe_divmod(b_, a, b):
    """Truncating quotient and remainder that never trap: divisors 0 and -1 become 1 (x86
    `idiv` traps on 0 and on INT_MIN / -1, SEMANTICS.md traps 2-3); callers fix those up."""
    bad = b_.or_(b_.icmp_signed("==", b, _zero(b)), b_.icmp_signed("==", b, ir.Constant(b.type, -1)))
    safe = b_.select(bad, ir.Constant(b.type, 1), b)
    return b_.sdiv(a, safe), b_.srem(a, safe)


@rule("floor_divide", "i")
def _int_floor_divide(fl, args, op):
    """NumPy's integer floor division: rounds toward -inf; x // 0 == 0; MIN // -1 == MIN."""
    a, b = args
    b_ = fl.builder
    if op.python:
        _python_int_divisor(fl, a, b, abi.ZD_INT_FLOOR_DIVIDE)
    q, r = _safe_divmod(b_, a, b)
    # Truncation rounds up when the remainder is non-zero and the signs differ.
    adjust = b_.and_(b_.icmp_signed("!=", r, _zero(r)),
                     b_.icmp_signed("<", b_.xor(r, b), _zero(r)))
    q = b_.sub(q, b_.zext(adjust, q.type))
    minus_one = b_.icmp_signed("==", b, ir.Constant(b.type, -1))
    q = b_.select(minus_one, b_.sub(_zero(a), a), q)    # wraps for MIN, as NumPy
    return b_.select(b_.icmp_signed("==", b, _zero(b)), _zero(a), q)


@rule("remainder", "i")
def _int_remainder(fl, args, op):
    """NumPy's integer remainder: the sign of the divisor; x % 0 == 0; x % -1 == 0."""
    a, b = args
    b_ = fl.builder
    if op.python:
        _python_int_divisor(fl, a, b, abi.ZD_INT_REMAINDER)
    _, r = _safe_divmod(b_, a, b)
    adjust = b_.and_(b_.icmp_signed("!=", r, _zero(r)),
                     b_.icmp_signed("<", b_.xor(r, b), _zero(r)))
    r = b_.select(adjust, b_.add(r, b), r)
    bad = b_.or_(b_.icmp_signed("==", b, _zero(b)), b_.icmp_signed("==", b, ir.Constant(b.type, -1)))
    return b_.select(bad, _zero(a), r)


@rule("negative", "i")
def _int_negative(fl, args, op):
    return _arith(fl, "sub", _zero(args[0]), args[0], op)


@rule("absolute", "i")
def _int_absolute(fl, args, op):
    (x,) = args
    b_ = fl.builder
    neg = _arith(fl, "sub", _zero(x), x, op)
    return b_.select(b_.icmp_signed("<", x, _zero(x)), neg, x)


@rule("power", "i")
def _int_power(fl, args, op):
    """Exponentiation by squaring. NumPy raises ValueError for a negative exponent; wraps on
    overflow (Python arithmetic raises OverflowError instead)."""
    base, exp = args
    b_ = fl.builder
    fl.check(b_.icmp_signed("<", exp, _zero(exp)), abi.STATUS_VALUE_ERROR,
             [ir.Constant(I64, abi.VE_NEGATIVE_POWER)])
    mul = (lambda x, y: _checked(fl, "mul", x, y)) if op.python else b_.mul
    pre = b_.block
    head = fl.fn.append_basic_block("pow.head")
    body = fl.fn.append_basic_block("pow.body")
    done = fl.fn.append_basic_block("pow.done")
    b_.branch(head)
    b_.position_at_end(head)
    result = b_.phi(base.type)
    x = b_.phi(base.type)
    e = b_.phi(exp.type)
    result.add_incoming(ir.Constant(base.type, 1), pre)
    x.add_incoming(base, pre)
    e.add_incoming(exp, pre)
    b_.cbranch(b_.icmp_signed(">", e, _zero(e)), body, done)
    b_.position_at_end(body)
    odd = b_.trunc(e, I1)
    # Multiply only when the bit is set, so Python's overflow check sees real products.
    odd_bb = fl.fn.append_basic_block("pow.odd")
    join_bb = fl.fn.append_basic_block("pow.join")
    from_body = b_.block
    b_.cbranch(odd, odd_bb, join_bb)
    b_.position_at_end(odd_bb)
    prod = mul(result, x)
    from_odd = b_.block
    b_.branch(join_bb)
    b_.position_at_end(join_bb)
    new_result = b_.phi(base.type)
    new_result.add_incoming(result, from_body)
    new_result.add_incoming(prod, from_odd)
    new_e = b_.ashr(e, ir.Constant(e.type, 1))
    more = b_.icmp_signed(">", new_e, _zero(e))
    sq_bb = fl.fn.append_basic_block("pow.square")
    next_bb = fl.fn.append_basic_block("pow.next")
    from_join = b_.block
    b_.cbranch(more, sq_bb, next_bb)
    b_.position_at_end(sq_bb)
    squared = mul(x, x)
    from_sq = b_.block
    b_.branch(next_bb)
    b_.position_at_end(next_bb)
    new_x = b_.phi(base.type)
    new_x.add_incoming(x, from_join)
    new_x.add_incoming(squared, from_sq)
    result.add_incoming(new_result, b_.block)
    x.add_incoming(new_x, b_.block)
    e.add_incoming(new_e, b_.block)
    b_.branch(head)
    b_.position_at_end(done)
    return result


# -- bool arithmetic (NumPy: + is or, * is and) ---------------------------------------------------

rule("add", "b")(lambda fl, args, op: fl.builder.or_(*args))
rule("multiply", "b")(lambda fl, args, op: fl.builder.and_(*args))
rule("maximum", "b")(lambda fl, args, op: fl.builder.or_(*args))
rule("minimum", "b")(lambda fl, args, op: fl.builder.and_(*args))
rule("absolute", "b")(lambda fl, args, op: args[0])
rule("positive", "bif")(lambda fl, args, op: args[0])


# -- float arithmetic -----------------------------------------------------------------------------

def _python_float_divisor(fl, b, message_id):
    fl.check(fl.builder.fcmp_ordered("==", b, _zero(b)), abi.STATUS_ZERO_DIVISION,
             [ir.Constant(I64, message_id)])


rule("add", "f")(lambda fl, args, op: fl.builder.fadd(*args, flags=fl.flags))
rule("subtract", "f")(lambda fl, args, op: fl.builder.fsub(*args, flags=fl.flags))
rule("multiply", "f")(lambda fl, args, op: fl.builder.fmul(*args, flags=fl.flags))
rule("negative", "f")(lambda fl, args, op: fl.builder.fneg(args[0], flags=fl.flags))
rule("absolute", "f")(lambda fl, args, op: fl.call_intrinsic("fabs", args))


@rule("true_divide", "f")
def _float_true_divide(fl, args, op):
    if op.python:
        ints = all(d.kind in "bi" for d in op.operand_dtypes)
        _python_float_divisor(fl, args[1], abi.ZD_INT_TRUE_DIVIDE if ints
                              else abi.ZD_FLOAT_TRUE_DIVIDE)
    return fl.builder.fdiv(*args, flags=fl.flags)


def _float_divmod(fl, a, b):
    """NumPy's `npy_divmod` (numpy/_core/src/npymath/npy_math_internal.h.src), the same
    algorithm as CPython's `float_divmod`: returns (floor quotient, remainder)."""
    b_, f = fl.builder, fl.flags
    zero = _zero(a)
    one = ir.Constant(a.type, 1.0)
    mod = b_.frem(a, b, flags=f)                              # C fmod
    div = b_.fdiv(b_.fsub(a, mod, flags=f), b, flags=f)
    # Python's convention: the remainder takes the divisor's sign.
    fix = b_.and_(b_.fcmp_unordered("!=", mod, zero),
                  b_.xor(b_.fcmp_ordered("<", b, zero), b_.fcmp_ordered("<", mod, zero)))
    mod_fixed = b_.select(fix, b_.fadd(mod, b, flags=f), mod)
    div = b_.select(fix, b_.fsub(div, one, flags=f), div)
    mod_zero = b_.fcmp_ordered("==", mod, zero)
    mod = b_.select(mod_zero, fl.call_intrinsic("copysign", [zero, b]), mod_fixed)
    # Snap the quotient to the nearest integer.
    floordiv = fl.call_intrinsic("floor", [div])
    up = b_.fcmp_ordered(">", b_.fsub(div, floordiv, flags=f), ir.Constant(a.type, 0.5))
    floordiv = b_.select(up, b_.fadd(floordiv, one, flags=f), floordiv)
    div_zero = b_.fcmp_ordered("==", div, zero)
    floordiv = b_.select(div_zero, fl.call_intrinsic("copysign", [zero, b_.fdiv(a, b, flags=f)]),
                         floordiv)
    # b == 0: quotient a / b (inf or nan), remainder fmod(a, 0) (nan).
    b_zero = b_.fcmp_ordered("==", b, zero)
    return (b_.select(b_zero, b_.fdiv(a, b, flags=f), floordiv),
            b_.select(b_zero, b_.frem(a, b, flags=f), mod))


@rule("floor_divide", "f")
def _float_floor_divide(fl, args, op):
    if op.python:
        _python_float_divisor(fl, args[1], abi.ZD_FLOAT_FLOOR_DIVIDE)
    return _float_divmod(fl, *args)[0]


@rule("remainder", "f")
def _float_remainder(fl, args, op):
    if op.python:
        _python_float_divisor(fl, args[1], abi.ZD_FLOAT_REMAINDER)
    return _float_divmod(fl, *args)[1]


@rule("power", "f")
def _float_power(fl, args, op):
    a, b = args
    if op.python:
        b_ = fl.builder
        bad = b_.and_(b_.fcmp_ordered("==", a, _zero(a)), b_.fcmp_ordered("<", b, _zero(b)))
        fl.check(bad, abi.STATUS_ZERO_DIVISION, [ir.Constant(I64, abi.ZD_FLOAT_POWER)])
    return fl.call_intrinsic("pow", args, fast=True)


def _float_extremum(pred: str):
    # NumPy's maximum/minimum propagate NaN and return the second operand on ties
    # (np.maximum(-0.0, 0.0) == 0.0); llvm.maxnum would drop NaN (SEMANTICS.md trap 8).
    def lower(fl, args, op):
        a, b = args
        b_ = fl.builder
        keep_a = b_.or_(b_.fcmp_ordered(pred, a, b), b_.fcmp_unordered("uno", a, a))
        return b_.select(keep_a, a, b)
    return lower


rule("maximum", "f")(_float_extremum(">"))
rule("minimum", "f")(_float_extremum("<"))
rule("maximum", "i")(lambda fl, args, op: fl.builder.select(
    fl.builder.icmp_signed(">", *args), *args))
rule("minimum", "i")(lambda fl, args, op: fl.builder.select(
    fl.builder.icmp_signed("<", *args), *args))

for _name in ("exp", "log", "sqrt", "sin", "cos", "tanh", "floor", "ceil", "trunc"):
    rule(_name, "f")(lambda fl, args, op, _n=_name: fl.call_intrinsic(_n, args, fast=True))
rule("rint", "f")(lambda fl, args, op: fl.call_intrinsic("roundeven", args))


# -- comparisons, logic, bits ---------------------------------------------------------------------

for _name, _pred in (("equal", "=="), ("not_equal", "!="), ("less", "<"), ("less_equal", "<="),
                     ("greater", ">"), ("greater_equal", ">=")):
    rule(_name, "i")(lambda fl, args, op, _p=_pred: fl.builder.icmp_signed(_p, *args))
    rule(_name, "b")(lambda fl, args, op, _p=_pred: fl.builder.icmp_unsigned(_p, *args))
    # Ordered comparisons are false with NaN; `!=` is the unordered one (true with NaN).
    rule(_name, "f")(
        (lambda fl, args, op: fl.builder.fcmp_unordered("!=", *args, flags=fl.flags))
        if _name == "not_equal" else
        (lambda fl, args, op, _p=_pred: fl.builder.fcmp_ordered(_p, *args, flags=fl.flags)))


def _truth(fl, x, op):
    return cast(fl.builder, x, op.dtype, T.BOOL)


rule("logical_and", "bif")(lambda fl, args, op: fl.builder.and_(*(_truth(fl, x, op) for x in args)))
rule("logical_or", "bif")(lambda fl, args, op: fl.builder.or_(*(_truth(fl, x, op) for x in args)))
rule("logical_xor", "bif")(lambda fl, args, op: fl.builder.xor(*(_truth(fl, x, op) for x in args)))
rule("logical_not", "bif")(lambda fl, args, op: fl.builder.not_(_truth(fl, args[0], op)))
rule("bitwise_and", "bi")(lambda fl, args, op: fl.builder.and_(*args))
rule("bitwise_or", "bi")(lambda fl, args, op: fl.builder.or_(*args))
rule("bitwise_xor", "bi")(lambda fl, args, op: fl.builder.xor(*args))
rule("invert", "bi")(lambda fl, args, op: fl.builder.not_(args[0]))
rule("isnan", "f")(lambda fl, args, op: fl.builder.fcmp_unordered("uno", args[0], args[0]))


@rule("left_shift", "i")
def _left_shift(fl, args, op):
    # NumPy's npy_lshift: 0 when the amount is >= the width or negative (shl would be poison).
    a, n = args
    b_ = fl.builder
    ok = b_.icmp_unsigned("<", n, ir.Constant(n.type, element_type(a.type).width))
    return b_.select(ok, b_.shl(a, b_.select(ok, n, _zero(n))), _zero(a))


@rule("right_shift", "i")
def _right_shift(fl, args, op):
    # NumPy's npy_rshift: the sign fill (0 or -1) when the amount is out of range.
    a, n = args
    b_ = fl.builder
    width = element_type(a.type).width
    ok = b_.icmp_unsigned("<", n, ir.Constant(n.type, width))
    fill = b_.ashr(a, ir.Constant(a.type, width - 1))
    return b_.select(ok, b_.ashr(a, b_.select(ok, n, _zero(n))), fill)


# -- dispatch ---------------------------------------------------------------------------------------

_KIND_ORDER = {"b": 0, "i": 1, "f": 2}
_KIND_DTYPE = {0: T.BOOL, 1: T.INT64, 2: T.FLOAT64}


def compute_dtype(name: str, operand_types: Sequence[T.TensorType], result: T.TensorType,
                  python: bool) -> np.dtype:
    """The dtype op `name` computes in.

    NumPy: the inner loop's input dtype (`ufunc.resolve_dtypes`, NEP 50 included). Python
    arithmetic on Python scalars: the widest operand kind (bool < int < float), widened to the
    result's kind for arithmetic (`True + True` is the int 2).
    """
    if python:
        kind = max(_KIND_ORDER[t.dtype.kind] for t in operand_types)
        if name not in PREDICATES:
            kind = max(kind, _KIND_ORDER[result.dtype.kind])
        return _KIND_DTYPE[kind]
    from ...ir.ops.elementwise import UFUNCS
    ufunc = UFUNCS[name][0] if name in UFUNCS else getattr(np, name)
    loop = T.ufunc_loop_dtypes(ufunc, operand_types)[0]
    return loop if loop in T.SUPPORTED_DTYPES else result.dtype


def emit_ufunc(fl, name: str, attrs, operand_types: Sequence[T.TensorType],
               result: T.TensorType, args: Sequence[ir.Value]) -> ir.Value:
    """One element of ufunc op `name`: cast operands, apply the rule, cast to `result`.

    Args:
      fl: the `FunctionLowering` (builder, flags, status checks, intrinsics).
      attrs: the op's attributes (`python=True` marks a Python operator).
      operand_types, result: the IR types of the operands and of the result.
      args: the operands' register values.
    """
    python = bool(attrs.get("python")) and result.weak
    dtype = compute_dtype(name, operand_types, result, python)
    op = ScalarOp(name, tuple(t.dtype for t in operand_types), dtype, python,
                  python and bool(attrs.get("nooverflow")),
                  attrs.get("operand_ranges") if python else None)
    try:
        fn = RULES[name][dtype.kind]
    except KeyError:
        raise NotImplementedError(f"flowjit cannot compile numpy.{name} on {dtype}") from None
    cast_args = [cast(fl.builder, x, t.dtype, dtype) for x, t in zip(args, operand_types)]
    out = fn(fl, cast_args, op)
    out_dtype = T.BOOL if name in PREDICATES else dtype
    return cast(fl.builder, out, out_dtype, result.dtype)


def emit_scalar_op(fl, name: str, attrs, operand_types: Sequence[T.TensorType],
                   result: T.TensorType, args: Sequence[ir.Value]) -> ir.Value:
    """One element of any elementwise op (ufuncs, `where`, `astype`)."""
    b = fl.builder
    if name == "astype":
        return cast(b, args[0], operand_types[0].dtype, result.dtype)
    if name == "where":
        c, x, y = args
        c = cast(b, c, operand_types[0].dtype, T.BOOL)
        x = cast(b, x, operand_types[1].dtype, result.dtype)
        y = cast(b, y, operand_types[2].dtype, result.dtype)
        return b.select(c, x, y)
    return emit_ufunc(fl, name, attrs, operand_types, result, args)


# -- more ufuncs: libm functions, sign, reciprocal, fmod, fmax/fmin, float predicates ------------

#: ufunc -> libm function (the float32 variant has an `f` suffix). LLVM knows these names, so
#: it may still constant-fold them; NumPy calls the same libm functions for most of them.
LIBM = {"arcsin": "asin", "arccos": "acos", "arctan": "atan", "arcsinh": "asinh",
        "arccosh": "acosh", "arctanh": "atanh", "sinh": "sinh", "cosh": "cosh", "tan": "tan",
        "expm1": "expm1", "log1p": "log1p", "cbrt": "cbrt", "arctan2": "atan2",
        "hypot": "hypot"}


def _libm(name: str):
    def lower(fl, args, op):
        ty = args[0].type
        symbol = name + ("f" if isinstance(ty, ir.FloatType) else "")
        fn = fl.function(symbol, ty, [ty] * len(args))
        return fl.builder.call(fn, list(args), fastmath=fl.flags)
    return lower


for _name, _c in LIBM.items():
    rule(_name, "f")(_libm(_c))
for _name in ("exp2", "log2", "log10"):
    rule(_name, "f")(lambda fl, args, op, _n=_name: fl.call_intrinsic(_n, args, fast=True))
rule("copysign", "f")(lambda fl, args, op: fl.call_intrinsic("copysign", args))
rule("fmod", "f")(lambda fl, args, op: fl.builder.frem(*args, flags=fl.flags))
rule("reciprocal", "f")(lambda fl, args, op: fl.builder.fdiv(
    ir.Constant(args[0].type, 1.0), args[0], flags=fl.flags))
rule("isinf", "f")(lambda fl, args, op: fl.builder.fcmp_ordered(
    "==", fl.call_intrinsic("fabs", args), ir.Constant(args[0].type, float("inf"))))
rule("isfinite", "f")(lambda fl, args, op: fl.builder.fcmp_ordered(
    "<", fl.call_intrinsic("fabs", args), ir.Constant(args[0].type, float("inf"))))
rule("signbit", "f")(lambda fl, args, op: fl.builder.icmp_signed(
    "<", fl.builder.bitcast(args[0], ir.IntType(_width(args[0].type))),
    ir.Constant(ir.IntType(_width(args[0].type)), 0)))
for _name, _value in (("isnan", False), ("isinf", False), ("isfinite", True),
                      ("signbit", False)):
    # NumPy defines these for ints and bools too (constant results, or x < 0 for signbit).
    rule(_name, "bi")(lambda fl, args, op, _v=_value: ir.Constant(like(args[0].type, I1), int(_v)))
rule("signbit", "i")(lambda fl, args, op: fl.builder.icmp_signed("<", args[0], _zero(args[0])))


def _width(ty) -> int:
    return 32 if isinstance(ty, ir.FloatType) else 64


@rule("sign", "f")
def _float_sign(fl, args, op):
    # NumPy: x > 0 ? 1 : x < 0 ? -1 : x == 0 ? 0 : x (NaN stays NaN).
    (x,) = args
    b_ = fl.builder
    one = ir.Constant(x.type, 1.0)
    r = b_.select(b_.fcmp_ordered("==", x, _zero(x)), _zero(x), x)
    r = b_.select(b_.fcmp_ordered("<", x, _zero(x)), ir.Constant(x.type, -1.0), r)
    return b_.select(b_.fcmp_ordered(">", x, _zero(x)), one, r)


@rule("sign", "i")
def _int_sign(fl, args, op):
    (x,) = args
    b_ = fl.builder
    pos = b_.zext(b_.icmp_signed(">", x, _zero(x)), x.type)
    neg = b_.zext(b_.icmp_signed("<", x, _zero(x)), x.type)
    return b_.sub(pos, neg)


@rule("reciprocal", "i")
def _int_reciprocal(fl, args, op):
    # NumPy computes 1 / x in C: truncation; 1 / 0 gives x86's INT_MIN (no trap here).
    (x,) = args
    b_ = fl.builder
    is_zero = b_.icmp_signed("==", x, _zero(x))
    q = b_.sdiv(ir.Constant(x.type, 1), b_.select(is_zero, ir.Constant(x.type, 1), x))
    return b_.select(is_zero, _int_min(x.type), q)


@rule("fmod", "i")
def _int_fmod(fl, args, op):
    # C's truncating remainder; NumPy gives 0 for x % 0 and INT_MIN % -1.
    a, b = args
    b_ = fl.builder
    _, r = _safe_divmod(b_, a, b)
    bad = b_.or_(b_.icmp_signed("==", b, _zero(b)), b_.icmp_signed("==", b, ir.Constant(b.type, -1)))
    return b_.select(bad, _zero(a), r)


def _fextremum_ignoring_nan(pred: str):
    # NumPy's fmax/fmin: a NaN operand is ignored; ties return the first operand.
    def lower(fl, args, op):
        a, b = args
        b_ = fl.builder
        pick_a = b_.or_(b_.fcmp_ordered(pred, a, b), b_.fcmp_unordered("uno", b, b))
        return b_.select(pick_a, a, b)
    return lower


rule("fmax", "f")(_fextremum_ignoring_nan(">="))
rule("fmin", "f")(_fextremum_ignoring_nan("<="))
rule("fmax", "i")(RULES["maximum"]["i"])
rule("fmin", "i")(RULES["minimum"]["i"])
rule("fmax", "b")(RULES["maximum"]["b"])
rule("fmin", "b")(RULES["minimum"]["b"])
for _name in ("floor", "ceil", "trunc", "rint"):
    rule(_name, "bi")(lambda fl, args, op: args[0])
rule("square", "bif")(lambda fl, args, op: RULES["multiply"][op.dtype.kind](fl, [args[0]] * 2, op))


def _clip(fl, args, op):
    # NumPy's clip is minimum(maximum(x, lo), hi), NaN-propagating for floats.
    x, lo, hi = args
    kind = op.dtype.kind
    return RULES["minimum"][kind](fl, [RULES["maximum"][kind](fl, [x, lo], op), hi], op)


rule("clip", "bif")(_clip)
