"""Flatten nested tuples, lists and dicts of leaves into a list, and rebuild them."""

from __future__ import annotations

from typing import Any, Callable

_CONTAINERS = (tuple, list, dict)


class TreeDef:
    """The structure of a nested container; `unflatten` rebuilds it from leaves."""

    __slots__ = ("kind", "meta", "children", "num_leaves")

    def __init__(self, kind, meta, children):
        self.kind, self.meta, self.children = kind, meta, tuple(children)
        self.num_leaves = 1 if kind is None else sum(c.num_leaves for c in self.children)

    def __eq__(self, other):
        return isinstance(other, TreeDef) and (self.kind, self.meta, self.children) == (
            other.kind, other.meta, other.children)

    def __hash__(self):
        return hash((self.kind, self.meta, self.children))

    def __repr__(self):
        if self.kind is None:
            return "*"
        if self.kind is dict:
            return "{" + ", ".join(f"{k!r}: {c}" for k, c in zip(self.meta, self.children)) + "}"
        inner = ", ".join(map(repr, self.children))
        return f"({inner},)" if self.kind is tuple else f"[{inner}]"


LEAF = TreeDef(None, None, ())


def flatten(tree: Any, is_leaf: Callable[[Any], bool] | None = None):
    """`(leaves, treedef)` of a nested tuple/list/dict (namedtuples count as tuples)."""
    leaves: list[Any] = []

    def rec(x):
        if (is_leaf is not None and is_leaf(x)) or not isinstance(x, _CONTAINERS):
            leaves.append(x)
            return LEAF
        if isinstance(x, dict):
            keys = tuple(x)
            return TreeDef(dict, keys, [rec(x[k]) for k in keys])
        kind = list if isinstance(x, list) else tuple
        meta = type(x) if kind is tuple and type(x) is not tuple else None
        return TreeDef(kind, meta, [rec(c) for c in x])

    treedef = rec(tree)
    return leaves, treedef


def unflatten(treedef: TreeDef, leaves) -> Any:
    """Rebuild the container `treedef` describes with `leaves` in order."""
    it = iter(leaves)

    def rec(td):
        if td.kind is None:
            return next(it)
        children = [rec(c) for c in td.children]
        if td.kind is dict:
            return dict(zip(td.meta, children))
        if td.kind is list:
            return children
        return td.meta(*children) if td.meta is not None else tuple(children)

    return rec(treedef)
