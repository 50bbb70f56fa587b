"""Lowers `continue` to a flag reset at the top of each iteration: `continue_ = True`, and the
rest of the iteration guarded by `if not continue_:`. The flag is assigned before it is read in
every iteration, so liveness keeps it local to the loop body (it is never loop-carried)."""

from ..pyct import templates
from .flags import InnermostLoopFlagTransformer


class ContinueTransformer(InnermostLoopFlagTransformer):
    """Replaces `continue` in the innermost enclosing loop of the converted function."""

    prefix = "continue_"

    def _visit_loop(self, node):
        body, loop = self.loop_body(node)
        if loop.used:
            body = self.located(templates.replace("flag = False", flag=loop.flag), node) + body
        node.body = body
        node.orelse = self.block(node.orelse)
        return node

    visit_While = _visit_loop
    visit_For = _visit_loop

    def visit_Continue(self, node):
        return self.mark_used(node)


def transform(node, ctx):
    """Lowers every `continue` in the function `node`."""
    node.body = ContinueTransformer(ctx).visit_block(node.body)
    return node
