"""Structural checks of a graph: SSA dominance through nested regions, region arity."""

from __future__ import annotations

from ..errors import InternalError
from .core import Graph, Literal, Region


def verify(graph: Graph) -> None:
    """Raise `InternalError` naming the op if a value is used before (or outside) its
    definition, or a region op's regions do not match its operands and results."""

    def check(region: Region, visible: set[int], where: str):
        visible = set(visible) | {id(a) for a in region.args}
        for op in region.ops:
            for v in op.operands:
                if not isinstance(v, Literal) and id(v) not in visible:
                    raise InternalError(f"{where}: op {op.name} uses {v!r} before its definition")
            if op.name == "while_loop":
                test, body = op.regions
                if not (len(test.args) == len(body.args) == len(op.operands) ==
                        len(body.yields) == len(op.results)) or len(test.yields) != 1:
                    raise InternalError(f"{where}: malformed while_loop")
                for r, y in zip(op.results, body.yields):
                    if r.type != y.type:
                        raise InternalError(f"{where}: while_loop carries {r.type} but the "
                                            f"body yields {y.type}")
            if op.name == "cond":
                for sub in op.regions:
                    if [y.type for y in sub.yields] != [r.type for r in op.results]:
                        raise InternalError(f"{where}: cond branch yields do not match results")
            for sub in op.regions:
                check(sub, visible, f"{where}/{op.name}")
            if op.name == "fusion":
                kernel = op.attrs["kernel"].body
                if len(kernel.args) != len(op.operands):
                    raise InternalError(f"{where}: fusion arity mismatch")
                check(kernel, set(), f"{where}/fusion")
            visible |= {id(r) for r in op.results}
        for v in region.yields:
            if not isinstance(v, Literal) and id(v) not in visible:
                raise InternalError(f"{where}: yield of undefined {v!r}")

    check(graph.body, set(), f"@{graph.name}")
