"""The reference interpreter: runs any graph with NumPy, op by op (the tests' oracle).

Each op runs its registry entry's NumPy `reference`; ops with regions run their `interpret`
rule; a `fusion` runs its kernel, and a `matmul` with a fused `epilogue` kernel runs the
product, then that kernel (its `interpret` rule). Passes and codegen are tested against this interpreter, so a
wrong answer is pinned to one stage.
"""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from .core import Graph, Literal, Region, Value
from .types import PYTHON_TYPE_OF_WEAK


def _canonical(x, value: Value):
    """NumPy (strong) or Python (weak) representation of a result of `value`'s type."""
    t = value.type
    if t.weak and t.ndim == 0:
        return PYTHON_TYPE_OF_WEAK[t.dtype](np.asarray(x).item())
    arr = np.asarray(x)
    if arr.dtype != t.dtype:
        arr = arr.astype(t.dtype)
    return arr[()] if t.ndim == 0 else arr


class Interpreter:
    """Evaluates regions with an environment from `Value` to NumPy value."""

    def __init__(self, graph: Graph):
        self.graph = graph
        self.env: dict[int, Any] = {}

    def read(self, v: Value):
        if isinstance(v, Literal):
            return v.as_numpy()
        return self.env[id(v)]

    def run_region(self, region: Region, args: Sequence[Any]) -> list:
        for a, x in zip(region.args, args):
            self.env[id(a)] = _canonical(x, a)
        for op in region.ops:
            operands = [self.read(v) for v in op.operands]
            if op.opdef.interpret is not None:
                results = op.opdef.interpret(self, op, operands)
            elif op.name == "fusion":
                results = self.run_region(op.attrs["kernel"].body, operands)
            else:
                with np.errstate(all="ignore"):
                    results = op.opdef.reference(*operands, **op.attrs)
                if len(op.results) == 1:
                    results = (results,)
            for r, x in zip(op.results, results):
                self.env[id(r)] = _canonical(x, r)
        return [self.read(v) for v in region.yields]


def run(graph: Graph, *args) -> list:
    """Run `graph` on NumPy inputs (one per graph input); return its outputs as NumPy values
    (0-d results as NumPy scalars, weak 0-d results as Python scalars)."""
    if len(args) != len(graph.inputs):
        raise TypeError(f"graph {graph.name} takes {len(graph.inputs)} inputs, got {len(args)}")
    return Interpreter(graph).run_region(graph.body, args)
