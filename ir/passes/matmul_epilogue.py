"""Matmul epilogue fusion: the elementwise kernel consuming a 2-d product runs inside the gemm.

    %0 = matmul %x, %w                              %1 = matmul[epilogue=@fused_0] %x, %w, %b
    %1 = fusion[kernel=@fused_0] %0, %b      ->     kernel @fused_0(%0, %b): add, maximum

The product's consumer (a `fusion` kernel, or a single elementwise op, which becomes a one-op
kernel) moves into the `matmul` as attr `epilogue`: a `Kernel` whose first argument is the
product and whose other arguments are the op's extra operands `(a, b, *extras)`. Codegen
computes the product straight into the result's buffer and applies the kernel to each block
of it as soon as the gemm has finished the block, while it is in cache (`codegen/gemm`,
`codegen/lowering/linalg.py`): no temporary for the product and no second pass over it. The
kernel's ops are the same, applied to the same values in the same order, so results are
bit-identical to the unfused graph (and the interpreter runs exactly the unfused ops).

Conditions (otherwise the graph is left as it is):
  - the `matmul` has 2-d operands and a 2-d result, and no epilogue yet;
  - its result is read by nothing but the consumer (not by other ops, nested regions, or a
    yield/graph output): the product never exists as an array of its own;
  - the consumer is elementwise only (no reduction in the kernel), has one result, and that
    result has the product's type (it is computed in place in the product's buffer);
  - the other operands of the consumer broadcast to the result's shape as NumPy's rule
    allows (bias rows `b[n]` or `b[1, n]`, columns `b[m, 1]`, scalars, same-shaped arrays
    such as another product: the RNN's `x @ wx + h @ wh + b`).
The fused `matmul` takes the consumer's place in the region, since the epilogue runs while
the product is computed: operands of the consumer defined after the product (a bias
reshaped after it, `np.maximum(x @ w + b.reshape(1, -1), 0)`) are then ready. Moving the
product later is safe: it has no effects, and nothing between reads it (the consumer is its
only reader). When several operands of one consumer are qualifying products, the latest one
takes it.

Runs after `fusion` (it takes fusion's kernels as they are); see `ir/passes/__init__.py`.
"""

from __future__ import annotations

from ..core import BlockArg, Graph, Kernel, Literal, Op, Region, Value
from ..ops import registry
from .fusion import _fusible, _uses
from .manager import Pass, Rebuilder


def _use_counts(region: Region) -> dict[int, int]:
    """id(value) -> how many times `region` reads it (nested regions and yields included)."""
    counts: dict[int, int] = {}
    for op in region.ops:
        for v in _uses(op):
            counts[id(v)] = counts.get(id(v), 0) + 1
    for v in region.yields:
        counts[id(v)] = counts.get(id(v), 0) + 1
    return counts


def _plain_product(op: Op) -> bool:
    if op.name != "matmul" or op.regions or "epilogue" in op.attrs or len(op.operands) != 2:
        return False
    a, b = op.operands
    return a.type.ndim == 2 and b.type.ndim == 2 and op.results[0].type.ndim == 2


def _kernel_region(op: Op) -> Region | None:
    """The consumer's elementwise body: a fusion kernel without reductions, or a one-op
    region around a single fusible elementwise op; None for anything else."""
    if op.name == "fusion":
        body = op.attrs["kernel"].body
        if len(body.yields) != 1 or any(
                inner.opdef.kind != registry.ELEMENTWISE for inner in body.ops):
            return None
        return body
    if not _fusible(op):
        return None
    inputs = [v for v in dict.fromkeys(op.operands) if not isinstance(v, Literal)]
    args = tuple(BlockArg(v.type, None, k, v.name_hint) for k, v in enumerate(inputs))
    local = {id(v): a for v, a in zip(inputs, args)}
    copy = Op(op.opdef, [local.get(id(v), v) for v in op.operands], op.attrs,
              [op.results[0].type], (), op.loc, [op.results[0].name_hint])
    return Region(args, [copy], (copy.results[0],))


def _rebased(name: str, body: Region, first: int) -> Kernel:
    """A copy of kernel `body` whose argument `first` comes first (the product)."""
    order = [first] + [k for k in range(len(body.args)) if k != first]
    args = tuple(BlockArg(body.args[k].type, None, j, body.args[k].name_hint)
                 for j, k in enumerate(order))
    local: dict[int, Value] = {id(body.args[k]): a for k, a in zip(order, args)}
    ops = []
    for op in body.ops:
        new = Op(op.opdef, [local.get(id(v), v) for v in op.operands], op.attrs,
                 [r.type for r in op.results], (), op.loc, [r.name_hint for r in op.results])
        local.update({id(r): nr for r, nr in zip(op.results, new.results)})
        ops.append(new)
    return Kernel(name, Region(args, ops, tuple(local.get(id(v), v) for v in body.yields)))


class MatmulEpilogueFusion(Pass):
    """`matmul` + its elementwise consumer -> `matmul[epilogue=@kernel]` (module docstring)."""

    name = "matmul_epilogue"

    def run(self, graph: Graph) -> Graph:
        rb = _Rewriter(graph.kernels)
        new = rb.run(graph)
        kernels = {k: v for k, v in graph.kernels.items() if k not in rb.replaced}
        new.kernels = {**kernels, **rb.kernels}
        return new


class _Rewriter(Rebuilder):
    def __init__(self, existing: dict[str, Kernel]):
        super().__init__()
        self.existing = existing
        self.kernels: dict[str, Kernel] = {}     # new epilogue kernels, by name
        self.replaced: set[str] = set()          # fusion kernels that became epilogues
        self.plans: dict[int, tuple] = {}        # id(consumer) -> (matmul, kernel, arg)
        self.absorbed: set[int] = set()          # id(matmuls) now emitted at their consumer

    def schedule(self, region: Region):
        counts = _use_counts(region)
        pos = {id(r): i for i, op in enumerate(region.ops) for r in op.results}
        for i, op in enumerate(region.ops):
            body = _kernel_region(op)
            if body is None:
                continue
            out = op.results[0]
            best = None
            for k, v in enumerate(op.operands):
                if isinstance(v, Literal) or id(v) not in pos:
                    continue
                m = region.ops[pos[id(v)]]
                if id(m) in self.absorbed or not _plain_product(m) or m.results[0] is not v \
                        or counts.get(id(v)) != 1 or v.type != out.type:
                    continue
                mpos = pos[id(v)]
                if best is None or mpos > best[1]:
                    best = (k, mpos, m)
            if best is None:
                continue
            k, _, m = best
            if op.name == "fusion":
                name = op.attrs["kernel"].name
                self.replaced.add(name)
            else:
                name = self._new_name()
            # `op.operands[k]` is kernel argument k: fusion's operands are its kernel's
            # arguments; for a single op, the region's arguments are its distinct operands.
            arg = k if op.name == "fusion" else [
                w for w in dict.fromkeys(op.operands) if not isinstance(w, Literal)].index(
                    op.operands[k])
            kernel = _rebased(name, body, arg)
            self.kernels[name] = kernel
            self.plans[id(op)] = (m, kernel, arg)
            self.absorbed.add(id(m))
        return region.ops

    def _new_name(self) -> str:
        k = len(self.existing) + len(self.kernels)
        while f"fused_{k}" in self.existing or f"fused_{k}" in self.kernels:
            k += 1
        return f"fused_{k}"

    def visit(self, op: Op) -> None:
        if id(op) in self.absorbed:
            return          # emitted, with its epilogue, where its consumer was
        plan = self.plans.get(id(op))
        if plan is None:
            self.clone(op)
            return
        matmul, kernel, arg = plan
        if op.name == "fusion":
            inputs = list(op.operands)
        else:
            inputs = [w for w in dict.fromkeys(op.operands) if not isinstance(w, Literal)]
        extras = [self.get(w) for j, w in enumerate(inputs) if j != arg]
        out = op.results[0]
        new = Op(matmul.opdef, [self.get(v) for v in matmul.operands] + extras,
                 {**matmul.attrs, "epilogue": kernel}, [out.type], (), op.loc,
                 [out.name_hint])
        self.bind(out, new.results[0])
        self.emit(new)
