"""Qualified names (`a`, `a.b`, `a[i]`) of the nodes an assignment can target.

flowjit tracks variables by their root name: writing `a[i] = v` or `a.b = v` modifies the
value bound to `a` (a traced array rebinds itself on `a[i] = v`), so `a` must flow out of a
branch or around a loop like any reassigned variable.
"""

import gast

from . import anno


class QN:
    """A qualified name: a root identifier plus an optional chain of attribute/subscript steps."""

    __slots__ = ("root", "path")

    def __init__(self, root, path=()):
        self.root = root
        self.path = tuple(path)

    def is_simple(self):
        """True for a bare name such as `x`."""
        return not self.path

    def __str__(self):
        return self.root + "".join(self.path)

    def __repr__(self):
        return f"QN({self})"

    def __eq__(self, other):
        return isinstance(other, QN) and (self.root, self.path) == (other.root, other.path)

    def __hash__(self):
        return hash((self.root, self.path))


def from_node(node):
    """The QN of a Name/Attribute/Subscript/Starred chain, or None (e.g. `f()[0]`)."""
    path = []
    while True:
        if isinstance(node, gast.Name):
            return QN(node.id, reversed(path))
        if isinstance(node, gast.Attribute):
            path.append("." + node.attr)
            node = node.value
        elif isinstance(node, gast.Subscript):
            path.append("[...]")
            node = node.value
        elif isinstance(node, gast.Starred):
            node = node.value
        else:
            return None


def resolve(node):
    """Annotates every Name/Attribute/Subscript under `node` with its QN (anno.Basic.QN)."""
    for n in gast.walk(node):
        if isinstance(n, (gast.Name, gast.Attribute, gast.Subscript)):
            qn = from_node(n)
            if qn is not None:
                anno.setanno(n, anno.Basic.QN, qn)
    return node
