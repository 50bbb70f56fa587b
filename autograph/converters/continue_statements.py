"""Lowers `continue` to a flag reset at the top of each iteration: `continue_ = True`, and the
rest of the iteration guarded by `if not continue_:`. The flag is assigned before it is read in
every iteration, so liveness keeps it local to the loop body (it is never loop-carried)."""

from ..pyct import templates, transformer


class _Loop:
    def __init__(self):
        self.flag = None
        self.used = False


class ContinueTransformer(transformer.Base):
    """Replaces `continue` in the innermost enclosing loop of the converted function."""

    def _guard(self, rest):
        return templates.replace("if ag__.not_(flag):\n    rest", flag=self.state[_Loop].flag,
                                 rest=rest)

    def _block(self, stmts):
        if self.state[_Loop].level == 0:
            return self.visit_block(stmts)
        return transformer.guard_block(stmts, self.visit, self.state[_Loop].flag, self._guard)

    def _visit_loop(self, node):
        loop = self.state[_Loop].enter()
        loop.flag = self.ctx.namer.new_symbol("continue_")
        body = self._block(node.body)
        self.state[_Loop].exit()
        if loop.used:
            body = self.located(templates.replace("flag = False", flag=loop.flag), node) + body
        node.body = body
        node.orelse = self._block(node.orelse)
        return node

    visit_While = _visit_loop
    visit_For = _visit_loop

    def visit_Continue(self, node):
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
    """Lowers every `continue` in the function `node`."""
    node.body = ContinueTransformer(ctx).visit_block(node.body)
    return node
