"""The graph optimizer: passes, the pass manager and the default pipeline (`optimize`).

The default pipeline, in order, and why:
  1. `constant_folding` first: it inlines `cond`s on literal predicates and turns literal
     arithmetic into literals, which exposes duplicates to CSE and dead ops to DCE.
  2. `canonicalize`: exact identities (`x.astype(x.dtype)`, `x * 1`, `-(-x)`) and loop-invariant
     carried values, on folded operands (`x * (2 - 1)` is `x * 1` only after folding).
  3. `licm`: ops of `while_loop` regions that do not depend on the loop move before it
     (after canonicalize has removed loop-invariant carried values, which exposes more).
  4. `cse` next, on the folded, canonical graph (`2*3` and `6` are the same literal only
     after folding); merging duplicates leaves the copies unused.
  4b. `matmul_transpose`: `x.T @ y` reads `x` in place (gemm 'T'); DCE then drops `x.T`.
  5. `dce` removes what folding and CSE left unused, unused `cond` outputs and loop-carried
     values, so fusion sees only live ops and makes no kernel outputs for dead values.
  5b. `range_analysis`: marks Python int arithmetic proven to stay in int64 (`nooverflow`),
     on the final structure (no later pass moves ops out of the loops and branches whose
     tests the proofs use).
  6. `fusion`: it changes what an op is (a kernel), so the algebraic passes run on the
     plain ops; it creates no dead code (a kernel only yields values used outside it), so no
     second DCE is needed.
  7. `matmul_epilogue` last: a 2-d `matmul` whose only reader is an elementwise kernel (a
     bias, an activation, another product added) takes that kernel as its `epilogue`, run
     on each block of the product inside the gemm. It needs fusion's finished kernels (the
     whole chain after the product is one kernel only then).
  8. `parallel_loops` marks loops whose iterations are independent (`parallel=True`), for
     codegen to run them in SIMD lanes; it only adds attributes, so it runs after every
     pass that rebuilds loops.
"""

from __future__ import annotations

from ..core import Graph
from .canonicalize import Canonicalize
from .constant_folding import ConstantFolding
from .cse import CommonSubexpressionElimination
from .dce import DeadCodeElimination
from .fusion import ElementwiseFusion
from .licm import LoopInvariantCodeMotion
from .matmul_epilogue import MatmulEpilogueFusion
from .matmul_transpose import MatmulTransposeFolding
from .parallel_loops import ParallelLoopDetection
from .range_analysis import RangeAnalysis
from .manager import Pass, PassManager, Rebuilder, map_regions


def default_passes() -> list[Pass]:
    """The default pipeline as a flat list (see the module docstring for the order)."""
    return [ConstantFolding(), Canonicalize(), LoopInvariantCodeMotion(),
            CommonSubexpressionElimination(), MatmulTransposeFolding(), DeadCodeElimination(),
            RangeAnalysis(), ElementwiseFusion(), MatmulEpilogueFusion(), ParallelLoopDetection()]


def optimize(graph: Graph) -> tuple[Graph, list[dict]]:
    """Run the default pipeline on `graph`; return `(optimized graph, pass_log)` (one entry
    per pass: `{"pass", "before", "after", "seconds"}`). `graph` itself is not changed."""
    return PassManager(default_passes()).run(graph)


__all__ = ["Canonicalize", "CommonSubexpressionElimination", "ConstantFolding",
           "DeadCodeElimination", "MatmulEpilogueFusion", "MatmulTransposeFolding", "ParallelLoopDetection", "RangeAnalysis",
           "ElementwiseFusion", "LoopInvariantCodeMotion", "Pass", "PassManager", "Rebuilder", "default_passes",
           "map_regions", "optimize"]
