"""Common subexpression elimination: merge ops that compute the same thing from the same inputs."""

from __future__ import annotations

from typing import Any, Hashable

import numpy as np

from ..core import Graph, Kernel, Literal, Op, Region, Value
from .manager import Pass, Rebuilder, has_effects


class CommonSubexpressionElimination(Pass):
    """Replaces an op by an earlier op with the same opdef, operands and attributes.

    Operands compare by identity (literals by `Literal.key()`: dtype, weakness and bits, so
    `0.0` and `-0.0` stay apart); attributes by value (arrays by dtype, shape and bytes);
    the operands of a `commutative` op are compared as a sorted pair (`x*y` == `y*x`).
    Ops with effects (or that may raise) and region ops are never merged.

    Scoped as MLIR's CSE (a stack of hash tables, one per region): an op inside a nested region
    may reuse a value computed in an enclosing region, never one computed in a sibling or
    nested region, which would not dominate it.
    """

    name = "cse"

    def run(self, graph: Graph) -> Graph:
        return _CSE().run(graph)


def attr_key(x: Any) -> Hashable:
    """A hashable, value-based key for an attribute (NumPy arrays and dtypes included)."""
    if isinstance(x, np.ndarray):
        return ("ndarray", x.dtype.str, x.shape, x.tobytes())
    if isinstance(x, np.dtype):
        return ("dtype", x.str)
    if isinstance(x, float):
        return ("float", np.float64(x).tobytes())  # -0.0 != 0.0, nan == nan
    if isinstance(x, dict):
        return ("dict", tuple(sorted((k, attr_key(v)) for k, v in x.items())))
    if isinstance(x, (tuple, list)):
        return (type(x).__name__, tuple(attr_key(v) for v in x))
    if isinstance(x, (Kernel, Region)):
        return ("id", id(x))
    try:
        hash(x)
    except TypeError:
        return ("repr", type(x).__name__, repr(x))
    return (type(x).__name__, x)


def _operand_key(v: Value) -> Hashable:
    return ("literal", v.key()) if isinstance(v, Literal) else ("value", id(v))


class _CSE(Rebuilder):
    def __init__(self):
        super().__init__()
        self.scopes: list[dict[Hashable, Op]] = []

    def region(self, region: Region, args=None, yields=None) -> Region:
        self.scopes.append({})
        try:
            return super().region(region, args, yields)
        finally:
            self.scopes.pop()

    def visit(self, op: Op) -> None:
        if op.regions or has_effects(op) or "kernel" in op.attrs:
            self.clone(op)
            return
        operands = [self.get(v) for v in op.operands]
        keys = [_operand_key(v) for v in operands]
        if op.opdef.commutative:
            keys.sort()
        key = (op.name, tuple(keys), attr_key(op.attrs), tuple(r.type for r in op.results))
        for scope in reversed(self.scopes):
            earlier = scope.get(key)
            if earlier is not None:
                for old, new in zip(op.results, earlier.results):
                    self.bind(old, new)
                return
        self.scopes[-1][key] = self.clone(op, operands=operands)
