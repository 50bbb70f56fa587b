"""Dead code elimination: drop unused ops, unused `cond` outputs and unused loop-carried values."""

from __future__ import annotations

from ..core import Graph, Op, Region
from .manager import Pass, Rebuilder, has_effects


class DeadCodeElimination(Pass):
    """Removes ops whose results nobody uses, never ops with effects (`has_effects`: print,
    assert, ops that may raise), recursing into regions.

    Region ops get per-op rules, as JAX's `dce_rules` (`_cond_dce_rule`, `_while_dce_rule`):
    * `cond`: an output nobody uses is dropped from both branches, then the branches are
      cleaned; the whole `cond` goes if no output is used and no branch has effects.
    * `while_loop`: MLIR's `WhileUnusedResult` canonicalization: a carried value is removed
      when its result is unused after the loop AND neither the loop test nor the computation
      of any other kept carried value (or an effect in the body) reads it. The kept set is a
      fixed point, grown from the used results.

    The analysis is a backward liveness walk (`_Liveness`); the rewrite is a `Rebuilder`.
    """

    name = "dce"

    def run(self, graph: Graph) -> Graph:
        live = _Liveness()
        live.region(graph.body, range(len(graph.body.yields)))
        return _Sweep(live).run(graph)


class _Liveness:
    """Backward liveness over nested regions: which ops are live, and for each live region
    op, which of its results (carried values) are kept."""

    def __init__(self):
        self.live_ops: set[int] = set()
        self.kept: dict[int, set[int]] = {}

    def region(self, region: Region, live_yields) -> set[int]:
        """Mark `region`'s live ops given the indices of its live yields; return the ids of
        the values it reads that it does not define (its arguments and captured values)."""
        needed = {id(region.yields[i]) for i in live_yields}
        defined: set[int] = set()
        for op in reversed(region.ops):
            defined.update(id(r) for r in op.results)
            used = {i for i, r in enumerate(op.results) if id(r) in needed}
            if op.name == "while_loop":
                needed |= self._while(op, used)
            elif op.name == "cond":
                needed |= self._cond(op, used)
            elif used or has_effects(op):
                self.live_ops.add(id(op))
                needed.update(id(v) for v in op.operands)
        return needed - defined

    def _keep(self, op: Op, kept: set[int]) -> bool:
        # Marking is monotone (a loop body may be re-marked with more live values), so the
        # kept set of an op only grows.
        kept = self.kept.setdefault(id(op), set()) | kept
        self.kept[id(op)] = kept
        if kept or has_effects(op):
            self.live_ops.add(id(op))
            return True
        return False

    def _cond(self, op: Op, used: set[int]) -> set[int]:
        if not self._keep(op, used):
            return set()
        needed = {id(op.operands[0])}
        for branch in op.regions:
            needed |= self.region(branch, sorted(self.kept[id(op)]))
        return needed

    def _while(self, op: Op, used: set[int]) -> set[int]:
        test, body = op.regions
        if not used and not has_effects(op) and id(op) not in self.kept:
            return set()  # a dead loop (MLIR and JAX also drop loops that may not terminate)
        kept = set(used)
        while True:
            reads = self.region(test, [0])
            if kept or has_effects(op):
                reads |= self.region(body, sorted(kept))
            grown = kept | {i for i in range(len(op.operands))
                            if id(test.args[i]) in reads or id(body.args[i]) in reads}
            if grown == kept:
                break
            kept = grown
        if not self._keep(op, kept):
            return set()
        args = {id(a) for a in test.args + body.args}
        return (reads - args) | {id(op.operands[i]) for i in kept}


class _Sweep(Rebuilder):
    """Rebuilds the graph without the dead ops and with the trimmed region ops."""

    def __init__(self, live: _Liveness):
        super().__init__()
        self.live = live

    def visit(self, op: Op) -> None:
        if id(op) not in self.live.live_ops:
            return
        kept = sorted(self.live.kept.get(id(op), ()))
        if op.name == "cond":
            self.clone(op, regions=[self.region(r, yields=kept) for r in op.regions],
                       results=kept)
        elif op.name == "while_loop":
            test, body = op.regions
            self.clone(op, operands=[self.get(op.operands[i]) for i in kept],
                       regions=[self.region(test, args=kept),
                                self.region(body, args=kept, yields=kept)],
                       results=kept)
        else:
            self.clone(op)
