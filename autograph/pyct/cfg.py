"""Control flow graph of one function, at statement granularity, for dataflow analyses.

Nodes are simple statements and the "headers" of compound statements (the test of an `if` or
`while`, the iterate step of a `for`). After every compound statement the builder adds a
synthetic `after` node, so "live right after the statement" is simply the liveness at its
`after` node. Nested functions are single nodes (they are analyzed when they are converted).
"""

import gast

from .static_analysis import activity


class Node:
    """A CFG node: an AST node plus what it reads (`uses`) and binds (`defs`) by itself."""

    __slots__ = ("ast_node", "kind", "uses", "defs", "kills", "next", "prev")

    def __init__(self, ast_node, kind, uses=frozenset(), defs=frozenset(), kills=frozenset()):
        self.ast_node = ast_node
        self.kind = kind  # 'entry', 'exit', 'stmt', 'header', 'after'
        self.uses = frozenset(uses)
        self.defs = frozenset(defs)
        self.kills = frozenset(kills) | self.defs
        self.next = []
        self.prev = []

    def __repr__(self):
        what = type(self.ast_node).__name__ if self.ast_node is not None else ""
        line = getattr(self.ast_node, "lineno", "?")
        return f"<{self.kind} {what}@{line}>"


class Graph:
    """The CFG: `entry`, `exit`, all `nodes`, plus for each compound statement its `header`,
    its `after` node and the predecessors it is `entered_from` (excluding loop back edges)."""

    def __init__(self):
        self.nodes = []
        self.entry = None
        self.exit = None
        self.header = {}
        self.after = {}
        self.entered_from = {}

    def new(self, ast_node, kind, **kw):
        node = Node(ast_node, kind, **kw)
        self.nodes.append(node)
        return node


def _connect(frontier, node):
    for p in frontier:
        p.next.append(node)
        node.prev.append(p)


class _Builder:

    def __init__(self):
        self.graph = Graph()
        self.loops = []  # (header node, list of break nodes)
        self.exits = []

    def stmt_node(self, node, kind="stmt"):
        scope = activity.header_scope(node)
        return self.graph.new(node, kind, uses=scope.read, defs=scope.modified,
                              kills=scope.deleted)

    def block(self, stmts, frontier):
        for stmt in stmts:
            frontier = self.statement(stmt, frontier)
        return frontier

    def statement(self, node, frontier):
        g = self.graph
        if isinstance(node, gast.If):
            g.entered_from[node] = list(frontier)
            h = g.header[node] = self.stmt_node(node, "header")
            _connect(frontier, h)
            out = self.block(node.body, [h]) + self.block(node.orelse, [h])
            return self._after(node, out)
        if isinstance(node, (gast.While, gast.For, gast.AsyncFor)):
            g.entered_from[node] = list(frontier)
            h = g.header[node] = self.stmt_node(node, "header")
            _connect(frontier, h)
            self.loops.append((h, []))
            _connect(self.block(node.body, [h]), h)
            _, breaks = self.loops.pop()
            out = self.block(node.orelse, [h]) + breaks
            return self._after(node, out)
        if isinstance(node, (gast.With, gast.AsyncWith)):
            g.entered_from[node] = list(frontier)
            h = g.header[node] = self.stmt_node(node, "header")
            _connect(frontier, h)
            return self._after(node, self.block(node.body, [h]))
        if isinstance(node, gast.Try):
            g.entered_from[node] = list(frontier)
            h = g.header[node] = g.new(node, "header")
            _connect(frontier, h)
            body_out = self.block(node.body, [h])
            # Any statement of the body may raise: approximate by entering handlers from the
            # header and from the end of the body.
            out = self.block(node.orelse, body_out)
            for handler in node.handlers:
                hh = self.stmt_node(handler, "header")
                _connect([h] + body_out, hh)
                out += self.block(handler.body, [hh])
            out = self.block(node.finalbody, out)
            return self._after(node, out)
        n = self.stmt_node(node)
        _connect(frontier, n)
        if isinstance(node, gast.Break):
            self.loops[-1][1].append(n)
            return []
        if isinstance(node, gast.Continue):
            _connect([n], self.loops[-1][0])
            return []
        if isinstance(node, (gast.Return, gast.Raise)):
            self.exits.append(n)
            return []
        return [n]

    def _after(self, node, frontier):
        a = self.graph.after[node] = self.graph.new(node, "after")
        _connect(frontier, a)
        return [a]


def build(fn_node):
    """Builds the CFG of a FunctionDef (or Lambda, as a single statement)."""
    b = _Builder()
    g = b.graph
    params = activity.Scope()
    args = fn_node.args
    for a in args.args + args.posonlyargs + args.kwonlyargs:
        params.modified.add(a.id)
    for a in (args.vararg, args.kwarg):
        if a is not None:
            params.modified.add(a.id)
    g.entry = g.new(fn_node, "entry", defs=params.modified)
    body = fn_node.body if isinstance(fn_node.body, list) else [gast.Expr(value=fn_node.body)]
    frontier = b.block(body, [g.entry])
    g.exit = g.new(fn_node, "exit")
    _connect(frontier + b.exits, g.exit)
    return g
