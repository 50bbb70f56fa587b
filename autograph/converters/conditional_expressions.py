"""`a if c else b` -> `ag__.if_exp(c, lambda: a, lambda: b, 'c')`: both arms stay lazy, so
only one runs eagerly; on a traced `c` both are traced into a `cond`."""

import gast

from ..pyct import parser, templates, transformer


class ConditionalExpressionTransformer(transformer.Base):

    def visit_IfExp(self, node):
        self.generic_visit(node)
        new = templates.replace_as_expression(
            "ag__.if_exp(test, lambda: body, lambda: orelse, expr_repr)", test=node.test,
            body=node.body, orelse=node.orelse,
            expr_repr=gast.Constant(value=parser.unparse(node.test), kind=None))
        return self.located(new, node)

    def visit_FunctionDef(self, node):
        return node


def transform(node, ctx):
    """Rewrites the conditional expressions of the function `node`."""
    node.body = ConditionalExpressionTransformer(ctx).visit_block(node.body)
    return node
