"""Matmul operand folding: `x.T @ y` reads `x` in place instead of materializing `x.T`."""

from __future__ import annotations

import numpy as np

from ..core import Graph, Op
from .manager import Pass, map_regions

#: Dtypes whose matmul codegen calls BLAS gemm, which takes a transposed operand for free.
_GEMM_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _plain_transpose(v) -> Op | None:
    """The 2-d `transpose` (axes (1, 0)) producing `v`, if any."""
    p = v.producer
    if p is None or p.name != "transpose" or p.regions or len(p.operands) != 1:
        return None
    if p.operands[0].type.ndim != 2 or tuple(p.attrs.get("axes", ())) != (1, 0):
        return None
    return p


class MatmulTransposeFolding(Pass):
    """`matmul(transpose(x), y)` -> `matmul[transpose_a=True](x, y)` (and `transpose_b` for
    the right operand), for 2-d float32/float64 matmuls (the gemm path of
    `codegen/lowering/linalg.py`, which passes 'T' to BLAS rather than copying `x.T`; NumPy
    does the same for a transposed view). Same operations, same results; the `transpose`,
    when nothing else reads it, is left for DCE (which runs next)."""

    name = "matmul_transpose"

    def run(self, graph: Graph) -> Graph:
        def visit(rb, op: Op) -> None:
            if op.name != "matmul" or op.regions or len(op.operands) != 2:
                rb.clone(op)
                return
            a, b = op.operands
            r = op.results[0]
            if not (a.type.ndim == 2 and b.type.ndim == 2 and r.type.dtype in _GEMM_DTYPES
                    and a.type.dtype == r.type.dtype and b.type.dtype == r.type.dtype):
                rb.clone(op)
                return
            attrs = dict(op.attrs)
            operands = [rb.get(a), rb.get(b)]
            for k, key in enumerate(("transpose_a", "transpose_b")):
                t = _plain_transpose(op.operands[k])
                if t is not None and not attrs.get(key):
                    attrs[key] = True
                    operands[k] = rb.get(t.operands[0])
            rb.clone(op, operands=operands, attrs=attrs)

        return map_regions(graph, visit)
