"""Lowers `break` to a flag: `break_ = True`, the rest of the iteration guarded, and the loop
test extended with `not break_` (for a `for` loop, through its EXTRA_LOOP_TEST annotation).

A loop's `else:` clause runs when the loop did not break: it moves after the loop, guarded by
`if not break_:` (unconditionally if the loop has no `break`). After this pass no loop has
an `else:` clause.
"""

from ..pyct import templates
from .flags import InnermostLoopFlagTransformer


class BreakTransformer(InnermostLoopFlagTransformer):
    """Replaces `break` in the innermost enclosing loop of the converted function."""

    prefix = "break_"

    def _orelse(self, node, loop):
        orelse = self.block(node.orelse)
        if not orelse:
            return []
        if not loop.used:
            return orelse
        return self.located(templates.replace("if ag__.not_(flag):\n    orelse",
                                              flag=loop.flag, orelse=orelse), node)

    def _visit_loop(self, node):
        node.body, loop = self.loop_body(node)
        orelse = self._orelse(node, loop)
        node.orelse = []
        if not loop.used:
            return [node] + orelse
        self.stop_loop_when_set(node, loop.flag)
        init = templates.replace("flag = False", flag=loop.flag)
        return self.located(init, node) + [node] + orelse

    visit_While = _visit_loop
    visit_For = _visit_loop

    def visit_Break(self, node):
        return self.mark_used(node)


def transform(node, ctx):
    """Lowers every `break` in the function `node`."""
    node.body = BreakTransformer(ctx).visit_block(node.body)
    return node
