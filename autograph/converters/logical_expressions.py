"""`and`, `or`, `not` and chained comparisons -> lazy `ag__` operators with Python's meaning.

    a and b and c   ->  ag__.and_(lambda: a, lambda: ag__.and_(lambda: b, lambda: c))
    not a           ->  ag__.not_(a)
    0 < x < n       ->  ag__.compare_chain(0, (('<', lambda: x), ('<', lambda: n)))

Operands stay in lambdas so the right side runs only if Python would run it (a guard such as
`i < n and a[i] > 0` must not index out of bounds), and in a chain each middle operand is
evaluated once.
"""

import gast

from ..pyct import templates, transformer

_COMPARE_OPS = {
    gast.Eq: "==", gast.NotEq: "!=", gast.Lt: "<", gast.LtE: "<=", gast.Gt: ">",
    gast.GtE: ">=", gast.Is: "is", gast.IsNot: "is not", gast.In: "in", gast.NotIn: "not in",
}


class LogicalExpressionTransformer(transformer.Base):

    def visit_BoolOp(self, node):
        self.generic_visit(node)
        op = "ag__.and_" if isinstance(node.op, gast.And) else "ag__.or_"
        result = node.values[-1]
        for value in reversed(node.values[:-1]):
            result = templates.replace_as_expression(f"{op}(lambda: a, lambda: b)", a=value,
                                                     b=result)
        return self.located(result, node)

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if not isinstance(node.op, gast.Not):
            return node
        return self.located(templates.replace_as_expression("ag__.not_(a)", a=node.operand),
                            node)

    def visit_Compare(self, node):
        self.generic_visit(node)
        if len(node.ops) == 1:
            return node
        steps = []
        for op, right in zip(node.ops, node.comparators):
            step = templates.replace_as_expression("(op, lambda: right)", right=right)
            step.elts[0] = gast.Constant(value=_COMPARE_OPS[type(op)], kind=None)
            steps.append(step)
        new = templates.replace_as_expression(
            "ag__.compare_chain(left, steps)", left=node.left,
            steps=gast.Tuple(elts=steps, ctx=gast.Load()))
        return self.located(new, node)

    def visit_FunctionDef(self, node):
        return node


def transform(node, ctx):
    """Rewrites the logical expressions of the function `node`."""
    node.body = LogicalExpressionTransformer(ctx).visit_block(node.body)
    return node
