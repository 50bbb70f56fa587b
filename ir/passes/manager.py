"""The pass framework: `Pass`, the region-by-region `Rebuilder` every pass uses, `PassManager`."""

from __future__ import annotations

import time
from typing import Any, Callable, Sequence

from ... import config
from ..core import BlockArg, Graph, Op, Region, Value


class Pass:
    """An optimization pass: a pure function from a `Graph` to a new `Graph`.

    Subclasses set `name` (the `pass_log` key) and implement `run`. A pass never mutates its
    input (the runtime keeps the traced graph as `ConcreteFunction.traced_graph`): it rebuilds
    the regions it changes, usually through `Rebuilder`, and shares nothing mutable.
    """

    name: str = "pass"

    def run(self, graph: Graph) -> Graph:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<Pass {self.name}>"


class Rebuilder:
    """Copies a graph region by region, op by op, through a map from old to new values.

    The shared traversal of all passes (STYLE.md §5, `map_regions`): a pass overrides `visit`
    to drop, replace or clone an op, and calls `self.region(...)` (default: from `clone`) to
    rebuild nested `cond`/`while_loop` regions, so every pass treats nested regions the same
    way. Old values not in the map (literals, values of enclosing regions that were kept)
    map to themselves. New ops are appended to the region being rebuilt (`self.emit`).
    """

    def __init__(self):
        self.vmap: dict[int, Value] = {}
        self._stack: list[list[Op]] = []

    # -- value map ---------------------------------------------------------------------------
    def get(self, v: Value) -> Value:
        """The new value standing for old value `v`."""
        return self.vmap.get(id(v), v)

    def bind(self, old: Value, new: Value) -> None:
        """Make every later use of `old` refer to `new`."""
        self.vmap[id(old)] = new

    # -- building ----------------------------------------------------------------------------
    def emit(self, op: Op) -> Op:
        """Append an already-built new op to the region being rebuilt."""
        self._stack[-1].append(op)
        return op

    def clone(self, op: Op, *, operands: Sequence[Value] | None = None,
              regions: Sequence[Region] | None = None, attrs: dict | None = None,
              result_types=None, results: Sequence[int] | None = None) -> Op:
        """Emit a copy of `op` with remapped operands and rebuilt regions; bind its results.

        Keyword arguments override parts of the copy. `results` (indices into `op.results`)
        keeps only those results, for passes that drop unused outputs.
        """
        keep = range(len(op.results)) if results is None else results
        if operands is None:
            operands = [self.get(v) for v in op.operands]
        if regions is None:
            regions = [self.region(r) for r in op.regions]
        if result_types is None:
            result_types = [op.results[i].type for i in keep]
        new = Op(op.opdef, operands, op.attrs if attrs is None else attrs, result_types,
                 regions, op.loc, [op.results[i].name_hint for i in keep])
        for i, r in zip(keep, new.results):
            self.bind(op.results[i], r)
        return self.emit(new)

    def region(self, region: Region, args: Sequence[int] | None = None,
               yields: Sequence[int] | None = None) -> Region:
        """Rebuild `region` by visiting its ops; `args`/`yields` (indices) keep only those
        region arguments / yielded values (fresh `BlockArg`s are made for a subset)."""
        if args is None:
            new_args = region.args
        else:
            new_args = tuple(BlockArg(region.args[i].type, None, k, region.args[i].name_hint)
                             for k, i in enumerate(args))
            for i, a in zip(args, new_args):
                self.bind(region.args[i], a)
        ops = self.inline(region)
        kept = region.yields if yields is None else [region.yields[i] for i in yields]
        return Region(new_args, ops, tuple(self.get(v) for v in kept))

    def inline(self, region: Region) -> list[Op]:
        """Visit `region`'s ops into a fresh op list and return it (yields not included)."""
        self._stack.append([])
        try:
            for op in self.schedule(region):
                self.visit(op)
        finally:
            ops = self._stack.pop()
        return ops

    def schedule(self, region: Region) -> Sequence[Any]:
        """The items `visit` is called on for `region`, in order: its ops by default (the
        fusion pass groups ops here)."""
        return region.ops

    def inline_into_current(self, region: Region) -> list[Value]:
        """Visit `region`'s ops into the region being rebuilt (inlining it); return the new
        values of its yields. The region must have no arguments, or they must be bound."""
        for op in region.ops:
            self.visit(op)
        return [self.get(v) for v in region.yields]

    def visit(self, op: Op) -> None:
        """Rebuild one op; the default copies it unchanged (with rebuilt regions)."""
        self.clone(op)

    def run(self, graph: Graph) -> Graph:
        """The rebuilt graph (same name, inputs and kernels)."""
        return Graph(graph.name, self.region(graph.body), graph.kernels)


def map_regions(graph: Graph, visit: Callable[[Rebuilder, Op], None]) -> Graph:
    """Rebuild `graph`, calling `visit(rebuilder, op)` for every op of every region."""
    rb = Rebuilder()
    rb.visit = lambda op: visit(rb, op)  # type: ignore[method-assign]
    return rb.run(graph)


def has_effects(op: Op) -> bool:
    """True for an op that must run, in order: `opdef.effects` (print, assert), an op that can
    raise where eager NumPy/Python would (`MAY_RAISE`), or a region op containing one."""
    if op.opdef.effects or MAY_RAISE.get(op.name, _never)(op):
        return True
    return any(has_effects(inner) for r in op.regions for inner in r.ops)


def _never(op: Op) -> bool:
    return False


def _weak_python(op: Op) -> bool:
    # Python arithmetic on Python scalars raises ZeroDivisionError eagerly (`7 // 0`, `0 ** -1`).
    # (An int64 overflow is not listed: eagerly Python makes a big int and raises nothing.)
    return bool(op.attrs.get("python")) and all(v.type.weak for v in op.operands)


def _dynamic_index(op: Op) -> bool:
    # A traced index is bounds-checked at run time (IndexError, as NumPy raises).
    return any(entry[0] == "dynamic" for entry in op.attrs.get("index", ()))


def _empty_reduction(op: Op) -> bool:
    # np.max/np.min of a zero-size axis raise ValueError (no identity).
    shape = op.operands[0].type.shape
    return any(shape[a] == 0 for a in op.attrs.get("axis", ()))


#: op name -> predicate: can this op raise at run time where eager execution would? Such ops
#: are kept and stay in order like effects: removing a dead `x[i]` with `i` out of bounds
#: would lose the IndexError that eager NumPy raises.
MAY_RAISE: dict[str, Callable[[Op], bool]] = {
    "floor_divide": _weak_python, "remainder": _weak_python, "true_divide": _weak_python,
    "power": _weak_python,
    "getitem": _dynamic_index, "setitem": _dynamic_index,
    "max": _empty_reduction, "min": _empty_reduction,
}


class PassManager:
    """Runs a flat, named list of passes (tinygrad's `full_rewrite_to_sink`).

    Each pass's op counts before and after and its run time go to the pass log; with
    `flowjit.config.VERIFY` (env `FLOWJIT_VERIFY=1`, always on in tests) the graph is verified
    after every pass, so a broken rewrite is pinned to the pass that made it.
    """

    def __init__(self, passes: Sequence[Pass]):
        self.passes = list(passes)

    def run(self, graph: Graph) -> tuple[Graph, list[dict[str, Any]]]:
        """`(optimized graph, pass_log)`; `pass_log[k]` is `{"pass", "before", "after",
        "seconds"}` for the k-th pass, `before`/`after` being `Graph.op_counts()`."""
        log = []
        for p in self.passes:
            before = graph.op_counts()
            start = time.perf_counter()
            graph = p.run(graph)
            seconds = time.perf_counter() - start
            if config.VERIFY:
                graph.verify()
            log.append({"pass": p.name, "before": before, "after": graph.op_counts(),
                        "seconds": seconds})
        return graph, log
