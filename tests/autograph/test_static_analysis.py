"""Activity, reaching definitions and liveness on small functions."""

import gast

from flowjit.autograph.pyct import anno, cfg, parser
from flowjit.autograph.pyct.static_analysis import activity, liveness, reaching_definitions


def _analyzed(fn):
    node, _, _ = parser.parse_entity(fn)
    activity.resolve(node)
    graph = cfg.build(node)
    reaching_definitions.resolve(node, graph)
    liveness.resolve(node, graph)
    return node


def _first(node, kind):
    return next(n for n in gast.walk(node) if isinstance(n, kind))


def subscript_writes(a, i, v):
    a[i] = v
    a[i, 0] += v
    b = a
    b.x = 1
    return b


def test_subscript_and_augmented_subscript_writes_modify_the_root():
    node = _analyzed(subscript_writes)
    scopes = [anno.getanno(s, anno.Static.SCOPE) for s in node.body]
    assert scopes[0].modified == {"a"} and scopes[0].read == {"a", "i", "v"}
    assert scopes[1].modified == {"a"} and {"a", "i", "v"} <= scopes[1].read
    assert scopes[3].modified == {"b"}


def loop_vars(x, n):
    s = 0
    tmp = 1
    for i in range(n):
        tmp = x[i] * 2
        s = s + tmp
        first = i
    return s, first


def test_loop_liveness_separates_carried_from_local():
    node = _analyzed(loop_vars)
    loop = _first(node, gast.For)
    live_in = anno.getanno(loop, anno.Static.LIVE_VARS_IN)
    live_out = anno.getanno(loop, anno.Static.LIVE_VARS_OUT)
    body = anno.getanno(loop, anno.Static.BODY_SCOPE)
    assert body.modified == {"tmp", "s", "first"}
    assert "s" in live_in and "tmp" not in live_in and "tmp" not in live_out
    assert live_out == {"s", "first"}
    defined = anno.getanno(loop, anno.Static.DEFINED_VARS_IN)
    # A variable first assigned in the loop is not defined on entry (back edges ignored).
    assert "first" not in defined and {"s", "tmp", "x", "n"} <= defined


def branches(x):
    if x > 0:
        y = 1
        z = 2
    else:
        y = 2
    return y


def test_if_live_out_and_definitions():
    node = _analyzed(branches)
    if_ = _first(node, gast.If)
    assert anno.getanno(if_, anno.Static.LIVE_VARS_OUT) == {"y"}
    assert anno.getanno(if_, anno.Static.BODY_SCOPE).modified == {"y", "z"}
    assert anno.getanno(if_, anno.Static.ORELSE_SCOPE).modified == {"y"}
    assert "y" not in anno.getanno(if_, anno.Static.DEFINED_VARS_IN)
    defs = anno.getanno(if_, anno.Static.REACHING_DEFINITIONS)
    assert set(defs) == {"x"}


def while_break(n):
    i = 0
    while i < n:
        if i == 3:
            break
        i += 1
    return i


def test_cfg_break_leaves_the_loop():
    node = _analyzed(while_break)
    graph = cfg.build(node)
    brk = next(n for n in graph.nodes if isinstance(n.ast_node, gast.Break))
    loop = _first(node, gast.While)
    assert graph.after[loop] in brk.next
    assert "i" in anno.getanno(loop, anno.Static.LIVE_VARS_OUT)


def closure_reads(x):
    k = 3

    def g(y):
        z = y + k
        return z

    h = lambda q: q * x  # noqa: E731
    return g(1) + h(2)


def test_nested_functions_read_their_free_variables_only():
    node = _analyzed(closure_reads)
    def_scope = anno.getanno(node.body[1], anno.Static.SCOPE)
    assert def_scope.read == {"k"} and def_scope.modified == {"g"}
    lam_scope = anno.getanno(node.body[2], anno.Static.SCOPE)
    assert lam_scope.read == {"x"} and lam_scope.modified == {"h"}


def comprehension(xs, c):
    out = [v * c for v in xs if v > c]
    return out


def test_comprehension_targets_stay_local():
    node = _analyzed(comprehension)
    scope = anno.getanno(node.body[0], anno.Static.SCOPE)
    assert scope.read == {"xs", "c"} and scope.modified == {"out"}
