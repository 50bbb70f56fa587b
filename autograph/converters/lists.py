"""`out.append(v)` -> `out = ag__.list_append(out, v)` for lists the function creates.

Why: appending inside a staged loop cannot add Python elements at run time; instead the loop
carries the list as a preallocated buffer (`ag__.list_append` writes the next row of it; see
operators/lists.py). Rebinding makes `out` a variable the loop carries, like any other state.
Only names the function binds to a list display (`out = []`, `[a, b]`) or `list()` are
rewritten, so other objects' `append` methods are called as they are.
"""

import gast

from ..pyct import templates, transformer


def _list_names(fn_node):
    names = set()
    for n in transformer.walk_scope(fn_node):
        if isinstance(n, gast.Assign) and (
                isinstance(n.value, gast.List) or
                isinstance(n.value, gast.Call) and isinstance(n.value.func, gast.Name)
                and n.value.func.id == "list"):
            names.update(t.id for t in n.targets if isinstance(t, gast.Name))
        if isinstance(n, gast.Assign) and isinstance(n.value, (gast.Tuple, gast.List)):
            # `a, b = [], []`
            for t in n.targets:
                if isinstance(t, (gast.Tuple, gast.List)) and len(t.elts) == len(n.value.elts):
                    names.update(e.id for e, v in zip(t.elts, n.value.elts)
                                 if isinstance(e, gast.Name) and isinstance(v, gast.List))
    return names


class ListTransformer(transformer.Base):

    def __init__(self, ctx, names):
        super().__init__(ctx)
        self.names = names

    def visit_Expr(self, node):
        call = node.value
        if (isinstance(call, gast.Call) and isinstance(call.func, gast.Attribute)
                and call.func.attr == "append" and isinstance(call.func.value, gast.Name)
                and call.func.value.id in self.names and len(call.args) == 1
                and not call.keywords and not isinstance(call.args[0], gast.Starred)):
            new = templates.replace("target = ag__.list_append(target, value)",
                                    target=call.func.value.id, value=call.args[0])
            return self.located(new, node)
        return self.generic_visit(node)

    def visit_FunctionDef(self, node):
        return node

    def visit_Lambda(self, node):
        return node


def transform(node, ctx):
    """Rewrites `out.append(v)` statements of the function `node`."""
    node.body = ListTransformer(ctx, _list_names(node)).visit_block(node.body)
    return node
