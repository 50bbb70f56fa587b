"""Constant folding: run ops on constant operands through their NumPy reference at compile time."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core import Graph, Literal, Op, Value
from ..ops import registry
from ..types import INT64, PYTHON_TYPE_OF_WEAK, TensorType
from .manager import Pass, Rebuilder, has_effects

#: Folded arrays larger than this stay ops: a `full` of a million zeros is cheaper to compute
#: than to embed in the code as a constant.
MAX_FOLDED_ELEMENTS = 1024

#: Op kinds never folded: a `constant` is already folded; creation ops (`full`) are cheaper
#: to run than to embed, unless 0-d (then folded into a literal, see `_foldable`).
_NOT_FOLDED_KINDS = {registry.CONSTANT}


class ConstantFolding(Pass):
    """Folds every op whose operands are all constants (`Literal`s or `constant` ops), that has
    a NumPy `reference` and no effects: the reference runs at compile time (under
    `np.errstate(all="ignore")`, as the interpreter runs it) and the result becomes a `Literal`
    (0-d) or a `constant` op (array), with exactly the op's result type.

    An op is left alone when folding raises (weak Python `7 // 0` must raise
    `ZeroDivisionError` at run time, as eagerly), when a weak int result leaves int64 (the
    run time raises `OverflowError`), and when an array result is large.

    Region rules (MLIR `scf.if`/`scf.while` canonicalization): a `cond` on a literal predicate
    is replaced by its taken branch, inlined; a `while_loop` whose test yields literal False
    never runs its body, so its results are its initial values.
    """

    name = "constant_folding"

    def run(self, graph: Graph) -> Graph:
        return _Folder().run(graph)


def _constant_value(v: Value):
    """The NumPy/Python value of a constant operand, or None if `v` is not constant."""
    if isinstance(v, Literal):
        return v.as_numpy()
    if v.producer is not None and v.producer.opdef.kind == registry.CONSTANT:
        return v.producer.attrs["value"]
    return None


def _foldable(op: Op) -> bool:
    # Ops that may raise (`MAY_RAISE`) are tried too: if the reference raises, `_fold` keeps
    # the op, so it raises at run time.
    if op.regions or op.opdef.reference is None or op.opdef.effects:
        return False
    if op.opdef.kind in _NOT_FOLDED_KINDS:
        return False
    return all(t.is_static and (t.ndim == 0 or op.opdef.kind != registry.CREATION)
               for t in (r.type for r in op.results))


def _as_result(x: Any, t: TensorType) -> Any:
    """`x` (a reference's output) as the folded value of type `t`, or None if it cannot be
    represented exactly (wrong shape, a weak int outside int64)."""
    if t.ndim == 0 and t.weak:
        value = PYTHON_TYPE_OF_WEAK[t.dtype](np.asarray(x).item())
        if t.dtype == INT64 and not -2**63 <= value < 2**63:
            return None  # eagerly a big int; compiled code raises OverflowError: keep the op
        return value
    arr = np.asarray(x)
    if arr.shape != tuple(t.shape) or arr.size > MAX_FOLDED_ELEMENTS:
        return None
    return arr.astype(t.dtype)


class _Folder(Rebuilder):
    def visit(self, op: Op) -> None:
        rule = _REGION_RULES.get(op.name)
        if rule is not None and rule(self, op):
            return
        operands = [self.get(v) for v in op.operands]
        if _foldable(op):
            values = [_constant_value(v) for v in operands]
            if all(x is not None for x in values) and self._fold(op, values):
                return
        self.clone(op, operands=operands)

    def _fold(self, op: Op, values: list) -> bool:
        try:
            with np.errstate(all="ignore"):
                out = op.opdef.reference(*values, **op.attrs)
        except Exception:  # noqa: BLE001 - whatever NumPy/Python raises, the run time raises
            return False
        outs = (out,) if len(op.results) == 1 else tuple(out)
        folded = [_as_result(x, r.type) for x, r in zip(outs, op.results)]
        if any(x is None for x in folded):
            return False
        for r, x in zip(op.results, folded):
            self.bind(r, self._materialize(x, r))
        return True

    def _materialize(self, x, r: Value) -> Value:
        t = r.type
        if t.ndim == 0:
            return Literal(x if t.weak else x.item(), t)
        x.flags.writeable = False
        const = Op(registry.get("constant"), (), {"value": x}, [t], (), None, [r.name_hint])
        return self.emit(const).result

    def _cond(self, op: Op) -> bool:
        pred = self.get(op.operands[0])
        if not isinstance(pred, Literal):
            return False
        taken = op.regions[0] if bool(pred.value) else op.regions[1]
        for r, v in zip(op.results, self.inline_into_current(taken)):
            self.bind(r, v)
        return True

    def _while(self, op: Op) -> bool:
        test, body = (self.region(r) for r in op.regions)
        pred = test.yields[0]
        if isinstance(pred, Literal) and not pred.value and not any(
                has_effects(inner) for inner in test.ops):
            # The test fails at once (and runs no effect): the body never runs.
            for r, v in zip(op.results, op.operands):
                self.bind(r, self.get(v))
        else:
            self.clone(op, regions=(test, body))
        return True


#: Region op name -> rule `(folder, op) -> handled`.
_REGION_RULES = {"cond": _Folder._cond, "while_loop": _Folder._while}
