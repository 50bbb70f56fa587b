"""Routes every call through `ag__.converted_call(f, args, kwargs)`.

At run time `converted_call` converts user functions (recursively, cached) and calls NumPy,
builtins and flowjit as they are; deciding then, not now, is what lets `f` be any expression.
Calls to the `ag__` operators themselves are left alone.
"""

import gast

from ..pyct import templates, transformer


def _is_operator_call(node):
    f = node.func
    while isinstance(f, gast.Attribute):
        f = f.value
    return isinstance(f, gast.Name) and f.id == "ag__"


class CallTreeTransformer(transformer.Base):

    def visit_Call(self, node):
        self.generic_visit(node)
        if _is_operator_call(node):
            return node
        args = gast.Tuple(elts=node.args, ctx=gast.Load())
        if node.keywords:
            keys, values = [], []
            for kw in node.keywords:
                keys.append(None if kw.arg is None else gast.Constant(value=kw.arg, kind=None))
                values.append(kw.value)
            kwargs = gast.Dict(keys=keys, values=values)
        else:
            kwargs = gast.Constant(value=None, kind=None)
        new = templates.replace_as_expression("ag__.converted_call(func, args, kwargs)",
                                              func=node.func, args=args, kwargs=kwargs)
        return self.located(new, node)

    def visit_FunctionDef(self, node):
        # Decorators and defaults run in this scope; the body is converted when called.
        node.decorator_list = [self.visit(d) for d in node.decorator_list]
        node.args.defaults = [self.visit(d) for d in node.args.defaults]
        return node

    def visit_ClassDef(self, node):
        return node


def transform(node, ctx):
    """Rewrites the calls of the function `node`."""
    node.body = CallTreeTransformer(ctx).visit_block(node.body)
    return node
