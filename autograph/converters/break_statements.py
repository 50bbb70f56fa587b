"""Lowers `break` to a flag: `break_ = True`, the rest of the iteration guarded, and the loop
test extended with `not break_` (for a `for` loop, through its EXTRA_LOOP_TEST annotation).

A loop's `else:` clause runs when the loop did not break: it moves after the loop, guarded by
`if not break_:` (unconditionally if the loop has no `break`). After this pass no loop has
an `else:` clause.
"""

from ..pyct import anno, templates, transformer


class _Loop:
    def __init__(self):
        self.flag = None
        self.used = False


class BreakTransformer(transformer.Base):
    """Replaces `break` in the innermost enclosing loop of the converted function."""

    def _guard(self, rest):
        return templates.replace("if ag__.not_(flag):\n    rest", flag=self.state[_Loop].flag,
                                 rest=rest)

    def _block(self, stmts):
        if self.state[_Loop].level == 0:
            return self.visit_block(stmts)
        return transformer.guard_block(stmts, self.visit, self.state[_Loop].flag, self._guard)

    def _loop_body(self, node):
        loop = self.state[_Loop].enter()
        loop.flag = self.ctx.namer.new_symbol("break_")
        body = self._block(node.body)
        self.state[_Loop].exit()
        return body, loop

    def _orelse(self, node, loop):
        orelse = self._block(node.orelse)
        if not orelse:
            return []
        if not loop.used:
            return orelse
        return self.located(templates.replace("if ag__.not_(flag):\n    orelse",
                                              flag=loop.flag, orelse=orelse), node)

    def visit_While(self, node):
        node.body, loop = self._loop_body(node)
        orelse = self._orelse(node, loop)
        node.orelse = []
        if not loop.used:
            return [node] + orelse
        node.test = templates.replace_as_expression(
            "ag__.and_(lambda: ag__.not_(flag), lambda: test)", flag=loop.flag, test=node.test)
        init = templates.replace("flag = False", flag=loop.flag)
        return self.located(init, node) + [node] + orelse

    def visit_For(self, node):
        node.body, loop = self._loop_body(node)
        orelse = self._orelse(node, loop)
        node.orelse = []
        if not loop.used:
            return [node] + orelse
        tests = anno.getanno(node, anno.Basic.EXTRA_LOOP_TEST, [])
        test = templates.replace_as_expression("ag__.not_(flag)", flag=loop.flag)
        anno.setanno(node, anno.Basic.EXTRA_LOOP_TEST, tests + [test])
        init = templates.replace("flag = False", flag=loop.flag)
        return self.located(init, node) + [node] + orelse

    def visit_Break(self, node):
        self.state[_Loop].used = True
        return self.located(templates.replace("flag = True", flag=self.state[_Loop].flag), node)

    def visit_If(self, node):
        node.body = self._block(node.body)
        node.orelse = self._block(node.orelse)
        return node

    def visit_With(self, node):
        node.body = self._block(node.body)
        return node

    def visit_Try(self, node):
        node.body = self._block(node.body)
        node.orelse = self._block(node.orelse)
        for h in node.handlers:
            h.body = self._block(h.body)
        node.finalbody = self._block(node.finalbody)
        return node

    def visit_FunctionDef(self, node):
        return node  # A nested def is its own scope: converted when it is called.

    def visit_Lambda(self, node):
        return node

    def visit_ClassDef(self, node):
        return node


def transform(node, ctx):
    """Lowers every `break` in the function `node`."""
    node.body = BreakTransformer(ctx).visit_block(node.body)
    return node
