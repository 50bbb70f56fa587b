"""Canonicalization: exact algebraic identities as a rule table, and loop-invariant values."""

from __future__ import annotations

from typing import Callable

from ..core import Graph, Literal, Op, Value
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


#: op name -> rule `(op with new operands) -> replacement value or None`. Every rule is exact
#: bit for bit (`x + 0` is not listed: `-0.0 + 0` is `0.0`).
RULES: dict[str, Callable[[Op], Value | None]] = {
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
