"""Reaching definitions: which assignments may have bound each name when a statement starts.

Annotates `if`/`while`/`for`/`with`/`try` statements with anno.Static.DEFINED_VARS_IN (the
names with at least one definition reaching the statement from *before* it: a loop's own
back edge does not count, so a variable first assigned inside a loop is "not defined" at the
loop) and anno.Static.REACHING_DEFINITIONS (name -> list of defining AST nodes).
"""

import collections

from .. import anno, cfg


def _analyze(graph):
    """Forward may-analysis over (name, defining CFG node) pairs; returns the OUT sets."""
    out = {n: frozenset() for n in graph.nodes}
    work = collections.deque(graph.nodes)
    while work:
        node = work.popleft()
        reaching = frozenset().union(*(out[p] for p in node.prev)) if node.prev else frozenset()
        new = frozenset(d for d in reaching if d[0] not in node.kills)
        new |= frozenset((name, node) for name in node.defs)
        if new != out[node]:
            out[node] = new
            work.extend(node.next)
    return out


def resolve(fn_node, graph=None):
    """Runs the analysis on a FunctionDef and annotates its compound statements."""
    graph = graph or cfg.build(fn_node)
    out = _analyze(graph)
    for stmt, preds in graph.entered_from.items():
        defs = frozenset().union(*(out[p] for p in preds)) if preds else frozenset()
        by_name = collections.defaultdict(list)
        for name, node in defs:
            by_name[name].append(node.ast_node)
        anno.setanno(stmt, anno.Static.DEFINED_VARS_IN, frozenset(by_name))
        anno.setanno(stmt, anno.Static.REACHING_DEFINITIONS, dict(by_name))
    return fn_node
