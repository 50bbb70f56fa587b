"""Loop-invariant code motion: compute values that do not change between iterations once,
before the `while_loop`."""

from __future__ import annotations

from ..core import Graph, Op
from ..ops import registry
from .manager import Pass, Rebuilder, has_effects


class LoopInvariantCodeMotion(Pass):
    """Hoists out of every `while_loop` the ops of its test and body regions whose operands
    are all defined outside the loop (or are themselves hoisted), when moving them cannot be
    observed:

    * no effects and no run-time error (`has_effects`: print, assert, weak Python `//` that
      may raise ZeroDivisionError, traced indexing that may raise IndexError): hoisting those
      out of a loop that runs zero times would raise or print where eager execution does not;
    * no regions (a nested `cond`/`while_loop` stays; its own invariant ops are hoisted into
      the enclosing loop region when the inner loop is visited).

    The test region runs at least once, the body maybe never: a hoisted body op then computes
    a value nobody reads, which is harmless for ops without effects. Creation ops (`full`,
    `constant`) stay in the loop: a fresh array per iteration is what an in-place update in
    the body may consume. Nested loops are handled from the outside in, so an op invariant in
    both loops moves out of the inner one only (one pass).
    """

    name = "licm"

    def run(self, graph: Graph) -> Graph:
        return _Hoister().run(graph)


def _movable(op: Op) -> bool:
    return (not op.regions and not has_effects(op) and op.opdef.kind != registry.CREATION
            and op.opdef.kind != registry.CONSTANT and op.name not in ("setitem",))


def _cannot_fail(op: Op) -> bool:
    """For body ops (which may never run): no run-time error of any kind. Weak Python int
    arithmetic raises OverflowError where Python would make a big int, and max/min over a
    dimension only known at run time raise on an empty array."""
    if op.attrs.get("python"):
        return False
    if op.name in ("max", "min", "argmax", "argmin"):
        shape = op.operands[0].type.shape
        return all(isinstance(d, int) and d > 0 for d in shape)
    return True


class _Hoister(Rebuilder):
    def __init__(self):
        super().__init__()
        self.hoisted: set[int] = set()

    def visit(self, op: Op) -> None:
        if id(op) in self.hoisted:
            return   # already emitted before its loop; its results are bound
        if op.name == "while_loop":
            for inner in self._invariant(op):
                self.hoisted.add(id(inner))
                self.clone(inner)
        self.clone(op)

    @staticmethod
    def _invariant(op: Op) -> list[Op]:
        """The movable ops of the loop's regions that depend on nothing defined inside it."""
        out = []
        for k, region in enumerate(op.regions):
            inside = {id(a) for a in region.args}
            for inner in region.ops:
                ok = _movable(inner) and (k == 0 or _cannot_fail(inner))
                if ok and not any(id(v) in inside for v in inner.operands):
                    out.append(inner)
                else:
                    inside.update(id(r) for r in inner.results)
        return out
