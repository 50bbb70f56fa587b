"""Rejects, with a ConversionError pointing at the user's line, what AutoGraph cannot convert."""

import gast

from ..errors import ConversionError
from .pyct import origin_info, transformer

_LOOPS_AND_BRANCHES = (gast.If, gast.While, gast.For, gast.IfExp, gast.BoolOp)


def _error(node, what, fix, filename):
    origin = origin_info.origin_of(node)
    if origin is None:
        line = getattr(node, "lineno", 0)
        origin = origin_info.OriginInfo(filename, line, getattr(node, "col_offset", 0), "",
                                        origin_info.source_line(filename, line))
    return ConversionError(f"{what}\n{origin.caret_excerpt()}\nfix: {fix}")


def verify(fn_node, filename):
    """Raises ConversionError for a feature of `fn_node`'s own scope that cannot be converted.

    Rejected: generators (`yield`), `async def`/`await`, `global`/`nonlocal` declarations
    (their writes cannot be carried through a staged branch or loop), and `try` around
    `if`/`while`/`for` (an exception raised by compiled code cannot be caught inside it).
    """
    if isinstance(fn_node, gast.AsyncFunctionDef):
        raise _error(fn_node, "flowjit cannot convert `async def` functions.",
                     "use a plain `def`.", filename)
    for node in transformer.walk_scope(fn_node):
        if node is fn_node:
            continue
        if isinstance(node, (gast.Yield, gast.YieldFrom)):
            raise _error(node, "flowjit cannot convert generator functions (`yield`).",
                         "return a tuple or an array instead of yielding values.", filename)
        if isinstance(node, gast.Await):
            raise _error(node, "flowjit cannot convert `await`.", "use a plain `def`.",
                         filename)
        if isinstance(node, (gast.Global, gast.Nonlocal)):
            kind = "global" if isinstance(node, gast.Global) else "nonlocal"
            raise _error(node, f"flowjit cannot convert writes to {kind} variables "
                         f"({', '.join(node.names)}).",
                         f"pass the value in as an argument and return the new value instead "
                         f"of using `{kind}`.", filename)
        if isinstance(node, gast.Try):
            inner = [n for stmt in node.body for n in transformer.walk_scope(stmt)
                     if isinstance(n, _LOOPS_AND_BRANCHES)]
            if inner:
                raise _error(node, "flowjit cannot convert `try` around control flow: an "
                             "exception raised by compiled code cannot be caught inside the "
                             "compiled function.",
                             "move the `try` out of the function, around the call.", filename)
