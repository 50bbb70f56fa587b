"""Elementwise fusion: replace connected groups of array elementwise ops by one `fusion` kernel."""

from __future__ import annotations

import heapq
from typing import Iterator, Sequence

from ..core import BlockArg, Graph, Kernel, Literal, Op, Region, Value
from ..ops import registry
from .manager import Pass, Rebuilder, has_effects

#: The op kind of `fusion` (one loop nest computing several elementwise ops).
FUSION_KIND = "fusion"


def _fusion_infer(types, attrs):
    return tuple(v.type for v in attrs["kernel"].body.yields)


def _fusion_interpret(interp, op, operands):
    # The kernel's ops are NumPy ufuncs: on whole (broadcast) arrays they compute exactly what
    # the fused loop computes element by element.
    return interp.run_region(op.attrs["kernel"].body, operands)


FUSION = registry.OPS.get("fusion") or registry.register(registry.OpDef(
    "fusion", _fusion_infer, None, FUSION_KIND, interpret=_fusion_interpret,
    doc="a fused elementwise kernel, possibly with row reductions (attr kernel: its body; operands: its inputs)"))


class ElementwiseFusion(Pass):
    """Groups array (not 0-d) elementwise ops of the same result shape, connected by
    producer-consumer edges, into one `fusion` op per group (tinygrad/XLA loop fusion).

    The fusion's operands are the group's inputs (arrays of any shape broadcasting to the
    group's shape, and 0-d values); its `kernel` attr is a `Kernel(name, body)` whose body
    region holds copies of the original ops (attrs kept), takes one argument per operand and
    yields every member result used outside the group; the kernel is also registered in
    `graph.kernels` as `fused_0`, `fused_1`, ... . 0-d ops stay as they are (they live in
    registers). Groups of one op are left unfused. Fusion runs inside `cond` and
    `while_loop` regions too; values of enclosing regions become operands.

    Reductions join too (`reduction_axes`: `sum`/`max`/`min` over trailing axes): a reduction
    runs over its operand's shape, so it joins the group of the elementwise ops computing its
    operand (the kernel then ends in a reduction: `np.max(np.abs(a - b))` reads `a` and `b`
    once and writes nothing but the maximum), and elementwise ops of that shape that use its
    result as one value per row join it as well (softmax's `e / e.sum(axis=1,
    keepdims=True)`). All reductions of a group reduce the same axes; codegen runs such a
    kernel row by row (`codegen/lowering/reduction.py`).

    A group must stay *convex*: no path from one member to another may leave the group (a
    `sum` between two members), or the fusion would depend on itself. Effectful ops (and ops
    that may raise) are chained by an ordering token, so fusion never reorders them. After
    grouping, each region is re-scheduled by a stable topological sort (Kahn's algorithm,
    original order as priority), placing every fusion after its inputs and before its uses.
    """

    name = "fusion"

    def run(self, graph: Graph) -> Graph:
        fuser = _Fuser(graph.kernels)
        new = fuser.run(graph)
        new.kernels = {**graph.kernels, **fuser.kernels}
        return new


def _fusible(op: Op) -> bool:
    return (op.opdef.kind == registry.ELEMENTWISE and not op.regions and len(op.results) == 1
            and op.results[0].type.ndim > 0 and not has_effects(op))


#: Reductions that may end (or sit inside) a kernel: codegen computes them per row of the
#: kernel's domain, in NumPy's order (pairwise for float sums, see `codegen/lowering/reduction`).
FUSED_REDUCTIONS = frozenset({"sum", "max", "min"})


def reduction_axes(op: Op) -> tuple[int, ...] | None:
    """The reduced axes of a reduction that fusion may take in: `sum`/`max`/`min` over a
    trailing run of axes (`x.sum(axis=-1)`, a full reduction) of an array, that cannot raise.
    None for any other op."""
    if op.name not in FUSED_REDUCTIONS or op.opdef.kind != registry.REDUCTION or op.regions \
            or len(op.results) != 1 or len(op.operands) != 1 or has_effects(op):
        return None
    n = op.operands[0].type.ndim
    axes = tuple(op.attrs.get("axis", ()))
    if n == 0 or not axes or axes != tuple(range(n - len(axes), n)):
        return None
    return axes


def _domain(op: Op) -> tuple | None:
    """The iteration domain (a shape) of an op fusion may take, or None: an elementwise op
    runs over its result's shape, a fusible reduction over its operand's."""
    if _fusible(op):
        return tuple(op.results[0].type.shape)
    if reduction_axes(op) is not None:
        return tuple(op.operands[0].type.shape)
    return None


def _row_scalar(red: Op, domain: tuple) -> bool:
    """Does the result of reduction `red`, broadcast against `domain`, give one value per
    row (per index of the kept leading axes)? True for `keepdims=True` and full reductions."""
    axes = reduction_axes(red)
    shape = tuple(red.results[0].type.shape)
    n, k = len(domain), len(axes)
    padded = (1,) * (n - len(shape)) + shape
    return len(shape) <= n and padded == tuple(domain[:n - k]) + (1,) * k


def _uses(op: Op) -> Iterator[Value]:
    """Every value `op` reads, including those read inside its nested regions."""
    yield from op.operands
    for region in op.regions:
        for inner in region.ops:
            yield from _uses(inner)
        yield from region.yields


class _Group:
    """A set of fusible ops of one region: `members` (indices into `region.ops`, in program
    order), `ops`, and `outputs` (member results used outside the group)."""

    def __init__(self, members: Sequence[int], ops: Sequence[Op]):
        self.members = sorted(members)
        self.ops = [ops[m] for m in self.members]
        self.outputs: list[Value] = []


class _Plan:
    """Groups the ops of one region: union-find over op indices, checked for convexity."""

    def __init__(self, region: Region):
        self.ops = region.ops
        self.pos = {id(r): i for i, op in enumerate(self.ops) for r in op.results}
        self.parent = list(range(len(self.ops)))
        self.members = {i: [i] for i in range(len(self.ops))}
        # axes[root]: member index -> reduced axes, for the reductions of group `root`.
        self.axes: dict[int, dict[int, tuple]] = {}
        # deps[id(value)]: indices of the fusible ops this value depends on (transitively).
        self.deps: dict[int, set[int]] = {}
        token: set[int] = set()  # what the last effect depended on: effects stay in order
        for i, op in enumerate(self.ops):
            reads = set().union(*(self.deps.get(id(u), set()) for u in _uses(op)))
            if has_effects(op):
                reads |= token
                token = reads
            if _domain(op) is not None:
                self._join(i, op)
                reads = reads | {i}
            for r in op.results:
                self.deps[id(r)] = reads

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def _join(self, i: int, op: Op) -> None:
        domain = _domain(op)
        axes = {i: reduction_axes(op)} if reduction_axes(op) is not None else {}
        chosen: set[int] = set()
        for v in op.operands:
            p = self.pos.get(id(v))
            if p is None or _domain(self.ops[p]) != domain:
                continue
            producer = self.ops[p]
            if reduction_axes(producer) is not None and (
                    reduction_axes(op) is not None or not _row_scalar(producer, domain)):
                # A reduction's result enters its group only as a per-row value of an
                # elementwise op (softmax's `x - x.max(axis=1, keepdims=True)`).
                continue
            root = self.find(p)
            if root in chosen or not self._convex(chosen | {root}, i):
                continue
            # One group reduces one set of trailing axes (one row shape).
            group_axes = set(axes.values()) | set(self.axes.get(root, {}).values())
            if len(group_axes) > 1:
                continue
            chosen.add(root)
            axes.update(self.axes.get(root, {}))
        for root in chosen:
            self.parent[root] = i
            self.members[i] += self.members.pop(root)
            self.axes.pop(root, None)
        if axes:
            self.axes[i] = axes

    def _convex(self, roots: set[int], i: int) -> bool:
        """Would the groups `roots` plus op `i` form a group with no outside path between
        members? True iff no external input of a member depends on a member."""
        inside = {m for r in roots for m in self.members[r]} | {i}
        for m in inside:
            for u in self.ops[m].operands:
                p = self.pos.get(id(u))
                if p in inside:
                    continue
                if any(self.find(k) in roots or k == i for k in self.deps.get(id(u), ())):
                    return False
        return True

    def schedule(self) -> list:
        """The region's ops and `_Group`s (of two ops or more) in a valid order."""
        groups = {root: _Group(ms, self.ops) for root, ms in self.members.items() if len(ms) > 1}
        node_of = {m: root for root, g in groups.items() for m in g.members}
        nodes, key = [], {}
        for i in range(len(self.ops)):
            if node_of.get(i, i) != i:
                continue
            n = groups[i] if i in groups else self.ops[i]
            nodes.append(n)
            # Priority: original position (a group's first member), so ops keep their order
            # unless a group forces a move.
            key[id(n)] = n.members[0] if isinstance(n, _Group) else i

        def node(i: int):
            return groups[node_of[i]] if i in node_of else self.ops[i]

        preds: dict[int, set[int]] = {}
        last_effect = None
        for n in sorted(nodes, key=lambda n: key[id(n)]):
            ops = n.ops if isinstance(n, _Group) else [n]
            ps = {id(node(self.pos[id(u)])) for op in ops for u in _uses(op)
                  if id(u) in self.pos}
            ps.discard(id(n))
            if not isinstance(n, _Group) and has_effects(n):
                if last_effect is not None:
                    ps.add(id(last_effect))
                last_effect = n
            preds[id(n)] = ps
        users: dict[int, list] = {id(n): [] for n in nodes}
        for n in nodes:
            for p in preds[id(n)]:
                users[p].append(n)
        waiting = {id(n): len(preds[id(n)]) for n in nodes}
        ready = [(key[id(n)], id(n), n) for n in nodes if waiting[id(n)] == 0]
        heapq.heapify(ready)
        order = []
        while ready:
            _, _, n = heapq.heappop(ready)
            order.append(n)
            for u in users[id(n)]:
                waiting[id(u)] -= 1
                if waiting[id(u)] == 0:
                    heapq.heappush(ready, (key[id(u)], id(u), u))
        if len(order) != len(nodes):  # cannot happen for convex groups; never miscompile
            return list(self.ops)
        return order


class _Fuser(Rebuilder):
    def __init__(self, existing: dict[str, Kernel]):
        super().__init__()
        self.existing = existing
        self.kernels: dict[str, Kernel] = {}

    def schedule(self, region: Region) -> list:
        plan = _Plan(region)
        order = plan.schedule()
        for item in order:
            if isinstance(item, _Group):
                item.outputs = self._outputs(plan, item, region)
        return order

    @staticmethod
    def _outputs(plan: _Plan, group: _Group, region: Region) -> list[Value]:
        """Member results used outside the group (by other ops, nested regions, yields)."""
        members = {id(plan.ops[m]) for m in group.members}
        used = {id(v) for op in plan.ops if id(op) not in members for v in _uses(op)}
        used |= {id(v) for v in region.yields}
        return [r for m in group.members for r in plan.ops[m].results if id(r) in used]

    def visit(self, item) -> None:
        if isinstance(item, _Group):
            self._fuse(item)
        else:
            self.clone(item)

    def _new_name(self) -> str:
        k = len(self.existing) + len(self.kernels)
        while f"fused_{k}" in self.existing or f"fused_{k}" in self.kernels:
            k += 1
        return f"fused_{k}"

    def _fuse(self, group: _Group) -> None:
        ops = group.ops
        inside = {id(r) for op in ops for r in op.results}
        inputs: list[Value] = []
        for op in ops:
            for v in op.operands:
                if not isinstance(v, Literal) and id(v) not in inside and \
                        all(v is not w for w in inputs):
                    inputs.append(v)
        local: dict[int, Value] = {}
        args = tuple(BlockArg(v.type, None, k, v.name_hint) for k, v in enumerate(inputs))
        local.update({id(v): a for v, a in zip(inputs, args)})
        body_ops = []
        for op in ops:
            new = Op(op.opdef, [local.get(id(v), v) for v in op.operands], op.attrs,
                     [r.type for r in op.results], (), op.loc, [r.name_hint for r in op.results])
            local.update({id(r): nr for r, nr in zip(op.results, new.results)})
            body_ops.append(new)
        outputs = group.outputs
        kernel = Kernel(self._new_name(), Region(args, body_ops,
                                                 tuple(local[id(v)] for v in outputs)))
        self.kernels[kernel.name] = kernel
        fused = Op(FUSION, [self.get(v) for v in inputs], {"kernel": kernel},
                   [v.type for v in outputs], (), ops[-1].loc, [v.name_hint for v in outputs])
        for old, new in zip(outputs, fused.results):
            self.bind(old, new)
        self.emit(fused)
