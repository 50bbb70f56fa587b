"""Parallel-loop detection: marks a `while_loop` whose iterations are independent of each other
(`for j in range(n)` over pixels, over start values), so codegen may run several of them at
once in SIMD lanes (`codegen/lowering/lanes.py`).

    while_loop[induction=0, parallel=True, reductions=(1,)] 1:int64, 0:int64 { ... }

The attributes are MLIR's `scf.parallel` with `scf.reduce` in while-loop form: `induction` is
the index of the loop's counter among the carried values, `reductions` the indices of the
integer sums it carries. A marked loop has this shape:

* its test region is exactly `less(i, bound)` on a carried int counter `i` and a `bound`
  defined outside the loop, and the body yields `i + 1` for `i` (`for i in range(a, b)`);
* every other carried value is either
    - an array whose only use in the body is one `setitem` of a single element at an index
      that contains the counter itself, the other index entries being defined outside the
      loop, and whose result is only yielded (`out[i, j] = n`): iterations write distinct
      elements and none reads the array, so their order does not matter;
    - or an integer *sum*: it is only ever added to (`total += x`, `total -= x`, with `x` not
      computed from it), carried through nested `while_loop`s and `cond`s, and never read
      otherwise (not by a loop test, a comparison, an index). Integer addition wraps or, for
      Python ints, is exact while it stays in int64, so per-lane partial sums added up give
      the same total (codegen checks the partial sums and falls back where they could
      overflow);
* the body has no effects (`print`, `assert`) and no list operations.

Ops that may raise (an index out of bounds, a Python int overflow) do not prevent the mark:
codegen re-runs a chunk of iterations one at a time when any of its lanes fails a check, so
the first failing iteration raises, in order, as it does unvectorized.

The pass only marks; codegen decides whether running lanes pays off and whether it can lower
every op of the body that way (otherwise it lowers the loop as usual). Runs last in the
pipeline (nothing after it rebuilds loops).
"""

from __future__ import annotations

from ..core import BlockArg, Graph, Literal, Op, Region, Value
from .manager import Pass, Rebuilder


class ParallelLoopDetection(Pass):
    """Marks `while_loop`s with independent iterations (`parallel=True`, see the module
    docstring for the shape, `induction` and `reductions`)."""

    name = "parallel_loops"

    def run(self, graph: Graph) -> Graph:
        return _Marker().run(graph)


class _Marker(Rebuilder):
    def visit(self, op: Op) -> None:
        if op.name == "while_loop" and "parallel" not in op.attrs:
            found = analyze(op)
            if found is not None:
                induction, reductions = found
                attrs = dict(op.attrs, parallel=True, induction=induction)
                if reductions:
                    attrs["reductions"] = reductions
                self.clone(op, attrs=attrs)
                return
        self.clone(op)


def analyze(loop: Op) -> tuple[int, tuple[int, ...]] | None:
    """`(induction index, reduction indices)` if `loop` has the shape of a parallel loop (the
    module docstring), else None."""
    test, body = loop.regions
    if _has_effects_or_lists(body) or _has_effects_or_lists(test):
        return None
    k = _induction(loop)
    if k is None:
        return None
    uses = _Uses(body)
    reductions = []
    for m, arg in enumerate(body.args):
        if m == k:
            continue
        if arg.type.ndim:
            if not _single_element_store(body, uses, arg, body.yields[m], body.args[k]):
                return None
        elif _is_sum(body, uses, arg, m):
            reductions.append(m)
        else:
            return None
    return k, tuple(reductions)


def _has_effects_or_lists(region: Region) -> bool:
    for op in region.walk():
        if op.opdef.effects or op.name.startswith("list_"):
            return True
        if any(v.type.dtype is None for v in (*op.operands, *op.results)):
            return True
    return False


def _int_scalar(v: Value) -> bool:
    return not v.type.ndim and v.type.dtype is not None and v.type.dtype.kind == "i"


def _induction(loop: Op) -> int | None:
    """The index of the counter `i` of a `less(i, bound)` test whose body yields `i + 1`."""
    test, body = loop.regions
    if len(test.ops) != 1 or test.ops[0].name != "less" or test.yields != test.ops[0].results:
        return None
    i, bound = test.ops[0].operands
    if not isinstance(i, BlockArg) or i not in test.args or not _int_scalar(bound) \
            or bound in test.args:
        return None
    k = test.args.index(i)
    step = body.yields[k].producer
    if not (_int_scalar(i) and i.type.dtype == bound.type.dtype and step is not None
            and step.name == "add" and step.operands[0] is body.args[k]
            and isinstance(step.operands[1], Literal) and step.operands[1].value == 1):
        return None
    return k


def defined_inside(region: Region) -> set[int]:
    """The ids of the values `region` defines: its arguments, its ops' results and those of
    its nested regions (anything else it reads is a literal or comes from outside)."""
    return {id(v) for v in _values(region)}


class _Uses:
    """Every read of a value inside a region (nested regions included): `(op, operand index)`
    for operands, `(region, owner op, yield index)` for yields (owner None: the region
    itself)."""

    def __init__(self, region: Region):
        self.of: dict[int, list[tuple]] = {}
        self._walk(region, None)

    def _walk(self, region: Region, owner: Op | None) -> None:
        for op in region.ops:
            for i, v in enumerate(op.operands):
                self.of.setdefault(id(v), []).append(("operand", op, i))
            for sub in op.regions:
                self._walk(sub, op)
        for i, v in enumerate(region.yields):
            self.of.setdefault(id(v), []).append(("yield", region, owner, i))

    def __call__(self, v: Value) -> list[tuple]:
        return self.of.get(id(v), [])


def _single_element_store(body: Region, uses: _Uses, arg: Value, yielded: Value,
                          counter: Value) -> bool:
    """`arg` is only `setitem`-ed once, at the top level of `body`, on one element whose
    index holds `counter` and otherwise values from outside the loop; the result only
    yielded."""
    if len(uses(arg)) != 1:
        return False
    kind, store, position = uses(arg)[0][:3]
    if kind != "operand" or position != 0:
        return False
    if store.name != "setitem" or store not in body.ops or store.results[0] is not yielded:
        return False
    if [u[0] for u in uses(yielded)] != ["yield"] or uses(yielded)[0][2] is not None:
        return False
    if store.operands[1].type.ndim:
        return False
    index = store.attrs["index"]
    if len(index) != arg.type.ndim or any(e[0] not in ("int", "dynamic") for e in index):
        return False
    traced = store.operands[2:]
    if not any(t is counter for t in traced):
        return False
    inside = defined_inside(body)
    return all(t is counter or id(t) not in inside for t in traced)


def _is_sum(body: Region, uses: _Uses, arg: BlockArg, m: int) -> bool:
    """Is carried value `arg` (index `m`) an integer sum only added to (module docstring)?

    Follows the value through `add`/`subtract` (as the left operand of `-`), `while_loop`
    carried values (the test must not read them) and `cond` results; every value reached
    must have no other reader, and whatever joins it (a loop's yield, the other branch of a
    `cond`) must be part of the same sum.
    """
    if not _int_scalar(arg):
        return False
    web: set[int] = {id(arg)}
    joins: list[tuple[Value, ...]] = []   # values that must all be in the web at the end
    work = [arg]
    while work:
        v = work.pop()
        for use in uses(v):
            if use[0] == "yield":
                _, region, owner, i = use
                if owner is None:
                    if i != m:
                        return False
                    continue
                if owner.name == "cond":
                    joins.append(tuple(r.yields[i] for r in owner.regions))
                    new = owner.results[i]
                elif owner.name == "while_loop" and region is owner.regions[1]:
                    joins.append((owner.operands[i], owner.regions[1].args[i]))
                    new = owner.results[i]
                else:
                    return False
            else:
                _, op, i = use
                if op.name in ("add", "subtract") and not op.results[0].type.ndim:
                    other = op.operands[1 - i]
                    if (op.name == "subtract" and i != 0) or id(other) in web \
                            or not _int_scalar(op.results[0]):
                        return False
                    new = op.results[0]
                elif op.name == "while_loop":
                    test, loop_body = op.regions
                    if uses(test.args[i]):
                        return False
                    joins.append((loop_body.yields[i],))
                    for x in (loop_body.args[i], op.results[i]):
                        if id(x) not in web:
                            web.add(id(x))
                            work.append(x)
                    continue
                else:
                    return False
            if id(new) not in web:
                web.add(id(new))
                work.append(new)
    # A summand computed from the sum itself would be a read of it. Every step is of the
    # same kind (all checked Python int arithmetic, or all wrapping/proven), so partial sums
    # overflow only where some sequential order could: see codegen's `lanes.py`.
    steps = [op for op in body.walk() if op.name in ("add", "subtract")
             and id(op.results[0]) in web]
    if any(sum(id(v) in web for v in op.operands) != 1 for op in steps):
        return False
    if len({_checked(op) for op in steps}) > 1:
        return False
    if any(not _int_scalar(v) or v.type.dtype != arg.type.dtype for v in
           _values(body) if id(v) in web):
        return False
    return id(body.yields[m]) in web and all(id(v) in web for group in joins for v in group)


def _checked(op: Op) -> bool:
    """Python int arithmetic that raises OverflowError (not proven in range)."""
    return bool(op.attrs.get("python")) and not op.attrs.get("nooverflow")


def _values(region: Region):
    """Every value defined in `region`: its arguments, op results, nested regions' too."""
    yield from region.args
    for op in region.walk():
        yield from op.results
        for sub in op.regions:
            yield from sub.args
