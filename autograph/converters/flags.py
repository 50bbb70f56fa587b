"""Shared machinery of the converters that lower a control transfer (`break`, `continue`,
`return`) to a flag variable: the rest of a block after a statement that may set the flag is
guarded by `if not flag:`, compound statements have their blocks rewritten the same way, and
nested scopes (defs, lambdas, classes) are left alone — they are converted when called.

This is the structure of TF AutoGraph's `break_statements`, `continue_statements` and
`return_statements` converters, written once.
"""

import gast

from ..pyct import anno, templates, transformer


class FlagTransformer(transformer.Base):
    """Base of the flag-lowering converters; subclasses define `flag_name()` (the flag
    guarding the current block, or None where nothing needs guarding)."""

    def flag_name(self):
        raise NotImplementedError

    def guard(self, rest, flag):
        return templates.replace("if ag__.not_(flag):\n    rest", flag=flag, rest=rest)

    def block(self, stmts):
        """`stmts` converted, with what follows a flag-setting statement guarded."""
        flag = self.flag_name()
        if flag is None:
            return self.visit_block(stmts)
        return transformer.guard_block(stmts, self.visit, flag,
                                       lambda rest: self.guard(rest, flag))

    def stop_loop_when_set(self, node, flag):
        """Make the loop `node` also stop when `flag` is set: a `while` test gains
        `not flag` (evaluated first, lazily, as Python would), a `for` loop an
        EXTRA_LOOP_TEST that `control_flow` adds to its iteration test."""
        if isinstance(node, gast.While):
            node.test = templates.replace_as_expression(
                "ag__.and_(lambda: ag__.not_(flag), lambda: test)", flag=flag, test=node.test)
        else:
            tests = anno.getanno(node, anno.Basic.EXTRA_LOOP_TEST, [])
            test = templates.replace_as_expression("ag__.not_(flag)", flag=flag)
            anno.setanno(node, anno.Basic.EXTRA_LOOP_TEST, tests + [test])

    def set_flag(self, flag, node):
        """`flag = True`, located at `node` (the `break`/`continue` it replaces)."""
        return self.located(templates.replace("flag = True", flag=flag), node)

    def visit_If(self, node):
        node.body = self.block(node.body)
        node.orelse = self.block(node.orelse)
        return node

    def visit_With(self, node):
        node.body = self.block(node.body)
        return node

    def visit_Try(self, node):
        node.body = self.block(node.body)
        node.orelse = self.block(node.orelse)
        for h in node.handlers:
            h.body = self.block(h.body)
        node.finalbody = self.block(node.finalbody)
        return node

    def visit_FunctionDef(self, node):
        return node  # A nested def is its own scope: converted when it is called.

    def visit_Lambda(self, node):
        return node

    def visit_ClassDef(self, node):
        return node


class LoopFlag:
    """Per-loop state of `break`/`continue` lowering: the flag's name and whether it is set
    anywhere in the loop body."""

    def __init__(self):
        self.flag = None
        self.used = False


class InnermostLoopFlagTransformer(FlagTransformer):
    """`FlagTransformer` for statements that act on the innermost enclosing loop; subclasses
    set `prefix` (the flag's name prefix)."""

    prefix = "flag_"

    def flag_name(self):
        return self.state[LoopFlag].flag if self.state[LoopFlag].level else None

    def loop_body(self, node):
        """The loop's body converted under a fresh flag; returns `(body, LoopFlag)`."""
        loop = self.state[LoopFlag].enter()
        loop.flag = self.ctx.namer.new_symbol(self.prefix)
        body = self.block(node.body)
        self.state[LoopFlag].exit()
        return body, loop

    def mark_used(self, node):
        """Replace a `break`/`continue` statement by setting the innermost loop's flag."""
        self.state[LoopFlag].used = True
        return self.set_flag(self.state[LoopFlag].flag, node)
