"""Liveness: which names may still be read later, on entry to and right after a statement.

Annotates `if`/`while`/`for`/`with`/`try` statements with anno.Static.LIVE_VARS_IN and
anno.Static.LIVE_VARS_OUT. The control_flow converter carries a modified variable through a
branch or loop only if it is live there (`modified ∩ (live_in ∪ live_out)`, AutoGraph's rule):
a temporary used only inside one iteration stays local to the loop body.
"""

import collections

from .. import anno, cfg


def _analyze(graph):
    """Backward may-analysis; returns (live_in, live_out) per CFG node."""
    live_in = {n: frozenset() for n in graph.nodes}
    live_out = {n: frozenset() for n in graph.nodes}
    work = collections.deque(reversed(graph.nodes))
    while work:
        node = work.popleft()
        out = frozenset().union(*(live_in[s] for s in node.next)) if node.next else frozenset()
        new_in = node.uses | (out - node.kills)
        live_out[node] = out
        if new_in != live_in[node]:
            live_in[node] = new_in
            work.extend(node.prev)
    return live_in, live_out


def resolve(fn_node, graph=None):
    """Runs the analysis on a FunctionDef and annotates its compound statements."""
    graph = graph or cfg.build(fn_node)
    live_in, live_out = _analyze(graph)
    for stmt, header in graph.header.items():
        anno.setanno(stmt, anno.Static.LIVE_VARS_IN, live_in[header])
        anno.setanno(stmt, anno.Static.LIVE_VARS_OUT, live_in[graph.after[stmt]])
    return fn_node
