"""Canonicalization: exact algebraic identities as a rule table, and loop-invariant values."""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..core import Graph, Literal, Op, Value
from ..ops import registry
from .manager import Pass, Rebuilder


def _is_literal(v: Value, value) -> bool:
    return isinstance(v, Literal) and v.value == value and not isinstance(v.value, bool)


def _same_type(op: Op, v: Value) -> Value | None:
    # A rewrite to `v` is only exact if `v` already has the op's result type (no promotion).
    return v if v.type == op.results[0].type else None


def _unary_of(name: str):
    def inner(op: Op) -> Value | None:
        (x,) = op.operands
        if x.producer is not None and x.producer.name == name:
            return _same_type(op, x.producer.operands[0])
        return None
    return inner


def _times_one(op: Op) -> Value | None:
    a, b = op.operands
    for x, one in ((a, b), (b, a)):
        if _is_literal(one, 1):
            return _same_type(op, x)
    return None


def _is_zero(v: Value, negative: bool | None) -> bool:
    """`v` is a literal zero; for floats, of the given sign (None: an int zero)."""
    if not isinstance(v, Literal) or isinstance(v.value, bool) or v.value != 0:
        return False
    if v.type.dtype.kind == "f" or isinstance(v.value, float):
        return negative is not None and bool(np.signbit(v.value)) == negative
    return True


def _plus_zero(op: Op) -> Value | None:
    # x + 0 -> x (ints), x + (-0.0) -> x (floats: -0.0 + -0.0 is -0.0, x + 0.0 is not exact)
    a, b = op.operands
    for x, zero in ((a, b), (b, a)):
        if _is_zero(zero, True) or (x.type.dtype.kind in "iu" and _is_zero(zero, None)):
            return _same_type(op, x)
    return None


def _minus_zero(op: Op) -> Value | None:
    # x - 0 -> x (ints), x - 0.0 -> x (floats: -0.0 - 0.0 is -0.0)
    a, b = op.operands
    if _is_zero(b, False) or (a.type.dtype.kind in "iu" and _is_zero(b, None)):
        return _same_type(op, a)
    return None


def _square(op: Op) -> Op | None:
    # x ** 2 -> x * x (NumPy's own power squares for a scalar 2: bit for bit the same)
    x, e = op.operands
    if not (isinstance(e, Literal) and not isinstance(e.value, bool) and e.value == 2):
        return None
    if x.type.dtype.kind not in "if" or _same_type(op, x) is None:
        return None
    return Op(registry.get("multiply"), [x, x], dict(op.attrs), [op.results[0].type], (),
              op.loc, [op.results[0].name_hint])


def _self_compare(result: bool):
    # x == x -> True, x < x -> False, ... for 0-d ints and bools (floats: NaN != NaN)
    def inner(op: Op) -> Value | None:
        a, b = op.operands
        if a is b and a.type.ndim == 0 and a.type.dtype.kind in "iub" and \
                op.results[0].type.ndim == 0:
            return Literal(result, op.results[0].type)
        return None
    return inner


#: op name -> rule `(op with new operands) -> replacement value, new op, or None`. Every
#: rule is exact bit for bit (`x + 0.0` is not listed: `-0.0 + 0.0` is `0.0`).
RULES: dict[str, Callable[[Op], Value | Op | None]] = {
    "add": _plus_zero,                                        # x + 0 -> x, x + -0.0 -> x
    "subtract": _minus_zero,                                  # x - 0 -> x, x - 0.0 -> x
    "power": _square,                                         # x ** 2 -> x * x
    "equal": _self_compare(True),                             # i == i -> True
    "less_equal": _self_compare(True),                        # i <= i -> True
    "greater_equal": _self_compare(True),                     # i >= i -> True
    "not_equal": _self_compare(False),                        # i != i -> False
    "less": _self_compare(False),                             # i < i -> False
    "greater": _self_compare(False),                          # i > i -> False
    "astype": lambda op: _same_type(op, op.operands[0]),      # x.astype(x.dtype) -> x
    "positive": lambda op: _same_type(op, op.operands[0]),    # +x -> x
    "multiply": _times_one,                                   # x * 1 -> x, 1 * x -> x
    "true_divide": lambda op: (_same_type(op, op.operands[0])  # x / 1 -> x (floats)
                               if _is_literal(op.operands[1], 1) else None),
    "negative": _unary_of("negative"),                        # -(-x) -> x
    "logical_not": _unary_of("logical_not"),                  # not not x -> x (bool x)
    "invert": _unary_of("invert"),                            # ~~x -> x
}


class Canonicalize(Pass):
    """Applies `RULES` (tinygrad's rule tables, MLIR's canonicalization patterns) to every op,
    on its already-rewritten operands, and removes loop-invariant carried values: a value the
    `while_loop` body yields unchanged is its initial value throughout (MLIR `scf.while`
    canonicalization), so uses inside the loop and of the result read the initial value.
    The rewritten-away ops are left for DCE.
    """

    name = "canonicalize"

    def run(self, graph: Graph) -> Graph:
        return _Canonicalizer().run(graph)


class _Canonicalizer(Rebuilder):
    def visit(self, op: Op) -> None:
        if op.name == "while_loop":
            self._while(op)
            return
        new = self.clone(op)
        rule = RULES.get(op.name)
        if rule is not None and not op.regions:
            replacement = rule(new)
            if isinstance(replacement, Op):
                # The rewritten op replaces the copy (which DCE might have to keep: a weak
                # Python `k ** 2` is listed as an op that may raise).
                ops = self._stack[-1]
                if ops and ops[-1] is new:
                    ops.pop()
                replacement = self.emit(replacement).results[0]
            if replacement is not None:
                self.bind(op.results[0], replacement)

    def _while(self, op: Op) -> None:
        test, body = op.regions
        invariant = [i for i, (a, y) in enumerate(zip(body.args, body.yields)) if a is y]
        if not invariant:
            self.clone(op)
            return
        kept = [i for i in range(len(op.operands)) if i not in invariant]
        for i in invariant:
            init = self.get(op.operands[i])
            for v in (test.args[i], body.args[i], op.results[i]):
                self.bind(v, init)
        self.clone(op, operands=[self.get(op.operands[i]) for i in kept],
                   regions=[self.region(test, args=kept),
                            self.region(body, args=kept, yields=kept)],
                   results=kept)
