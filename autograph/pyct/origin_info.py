"""Source map: which user file, line and source text a (possibly generated) AST node stands for.

Converted code is compiled from the AST itself, with the user's file name and the user's line
numbers kept on every node (generated nodes borrow the line of the statement they replace). So
a traceback or an `inspect` frame inside converted code already points at the user's line; this
module records and looks up that correspondence explicitly for error messages and `to_code`.
"""

import dataclasses
import linecache
import os

import gast

from . import anno

_LOCATION_ATTRS = ("lineno", "col_offset", "end_lineno", "end_col_offset")


@dataclasses.dataclass(frozen=True)
class OriginInfo:
    """Where a node comes from in the user's source."""

    filename: str
    lineno: int
    col_offset: int
    function_name: str
    source_line: str

    def __str__(self):
        return f"{os.path.basename(self.filename)}:{self.lineno}"

    def caret_excerpt(self):
        """`at file:line:col:` + the source line + a caret under the column (Triton style)."""
        line = self.source_line.rstrip("\n")
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        col = max(self.col_offset - indent, 0) if self.col_offset >= indent else 0
        return (f"at {os.path.basename(self.filename)}:{self.lineno}:{self.col_offset}:\n"
                f"    {stripped}\n    {' ' * col}^")


def source_line(filename, lineno):
    """Line `lineno` of `filename` without its newline ('' if unavailable)."""
    return linecache.getline(filename, lineno).rstrip("\n")


def resolve(node, filename, function_name):
    """Annotates every located node under `node` with its OriginInfo (anno.Basic.ORIGIN).

    The column offsets of a dedented source are shifted back by the indentation of the
    original line, so carets land under the user's text.
    """
    for n in gast.walk(node):
        lineno = getattr(n, "lineno", None)
        if lineno is None:
            continue
        text = source_line(filename, lineno)
        anno.setanno(n, anno.Basic.ORIGIN, OriginInfo(
            filename, lineno, getattr(n, "col_offset", 0) or 0, function_name, text))
    return node


def shift_columns(node, offset):
    """Adds `offset` to every column of `node` (undoes textwrap.dedent's shift)."""
    if not offset:
        return node
    for n in gast.walk(node):
        for attr in ("col_offset", "end_col_offset"):
            if getattr(n, attr, None) is not None:
                setattr(n, attr, getattr(n, attr) + offset)
    return node


def copy_location(new_nodes, from_node):
    """Gives every node under `new_nodes` that has no location the location of `from_node`.

    Nodes moved from the user's code keep their own lines; generated glue (state functions,
    operator calls) reports the first line of the statement it replaces. Generated nodes end
    on that same line: CPython reports a method call at its attribute's *end*, so the call
    `ag__.if_stmt(...)` standing for a multi-line `if` must not end on the last line.
    """
    if not isinstance(new_nodes, (list, tuple)):
        new_nodes = [new_nodes]
    lineno = getattr(from_node, "lineno", None)
    if lineno is None:
        return
    col = getattr(from_node, "col_offset", 0) or 0
    origin = anno.getanno(from_node, anno.Basic.ORIGIN, None)
    if getattr(from_node, "end_lineno", lineno) == lineno:
        end_col = getattr(from_node, "end_col_offset", col + 1) or col + 1
    else:
        end_col = max(len(origin.source_line) if origin else 0, col + 1)
    loc = {"lineno": lineno, "col_offset": col, "end_lineno": lineno, "end_col_offset": end_col}
    for root in new_nodes:
        for n in gast.walk(root):
            if "lineno" in getattr(n, "_attributes", ()) and getattr(n, "lineno", None) is None:
                for attr, value in loc.items():
                    setattr(n, attr, value)
            if origin is not None and not anno.hasanno(n, anno.Basic.ORIGIN):
                anno.setanno(n, anno.Basic.ORIGIN, origin)


def origin_of(node):
    """The OriginInfo annotated on `node`, or None."""
    return anno.getanno(node, anno.Basic.ORIGIN, None)


def source_map(node):
    """Maps each line of `parser.unparse(node)` to the OriginInfo of the code it came from.

    The unparsed text is parsed again; the two trees have the same shape, so walking them
    together pairs every printed node with the node it was printed from.
    """
    from . import parser

    printed = gast.parse(parser.unparse(node))
    result = {}
    for p, o in zip(gast.walk(printed.body[0]), gast.walk(node)):
        if type(p) is not type(o):
            break  # The printer changed the shape (it should not): stop pairing.
        line = getattr(p, "lineno", None)
        origin = anno.getanno(o, anno.Basic.ORIGIN, None)
        if line is not None and origin is not None and line not in result:
            result[line] = origin
    return result
