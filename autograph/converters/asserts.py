"""`assert test, msg` -> `ag__.assert_(test, lambda: msg)`: the message is built lazily, only
if the assertion fails, as Python does."""

from ..pyct import templates, transformer


class AssertTransformer(transformer.Base):

    def visit_Assert(self, node):
        if node.msg is None:
            new = templates.replace("ag__.assert_(test)", test=node.test)
        else:
            new = templates.replace("ag__.assert_(test, lambda: msg)", test=node.test,
                                    msg=node.msg)
        return self.located(new, node)

    def visit_FunctionDef(self, node):
        return node


def transform(node, ctx):
    """Rewrites the assert statements of the function `node`."""
    node.body = AssertTransformer(ctx).visit_block(node.body)
    return node
