"""`print(...)` -> `ag__.print_(...)`, which prints at run time when an argument is traced.

Only the builtin is rewritten: a function that binds `print` itself (a parameter, a global,
an import) keeps its own `print`.
"""

import builtins

import gast

from ..pyct import templates, transformer


class PrintTransformer(transformer.Base):

    def visit_Call(self, node):
        self.generic_visit(node)
        if isinstance(node.func, gast.Name) and node.func.id == "print":
            node.func = templates.replace_as_expression("ag__.print_")
        return node

    def visit_FunctionDef(self, node):
        return node


def transform(node, ctx):
    """Rewrites calls of the builtin `print` in the function `node`."""
    if ctx.info.namespace.get("print", builtins.print) is not builtins.print:
        return node
    bound = {n.id for n in transformer.walk_scope(node) if isinstance(n, gast.Name)
             and isinstance(n.ctx, (gast.Store, gast.Param)) and n.id == "print"}
    if bound:
        return node
    node.body = PrintTransformer(ctx).visit_block(node.body)
    return node
