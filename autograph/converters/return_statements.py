"""Lowers `return` at any depth to flags, so that control flow has a single exit.

    do_return = False
    retval_ = ag__.UndefinedReturnValue()
    ...
    do_return = True          # was: return x
    retval_ = x
    ...
    return ag__.retval(retval_)

What follows a statement that may return is guarded with `if not do_return:`; loops that
contain a return also stop when the flag is set (a `while` test gains `not do_return`, a `for`
loop an EXTRA_LOOP_TEST). Falling off the end of the function is made an explicit
`return None`, so every path assigns `retval_`. A function whose only `return` is its last
top-level statement is left as it is.
"""

import gast

from ..pyct import templates, transformer
from .flags import FlagTransformer


def _returns(node):
    return [n for n in transformer.walk_scope(node) if isinstance(n, gast.Return)]


class ReturnTransformer(FlagTransformer):
    """Rewrites the returns of one function; nested defs are left to their own conversion."""

    def __init__(self, ctx, do_return, retval):
        super().__init__(ctx)
        self.do_return = do_return
        self.retval = retval

    def flag_name(self):
        return self.do_return

    def visit_Return(self, node):
        value = node.value if node.value is not None else gast.Constant(value=None, kind=None)
        return self.located(templates.replace("do_return = True\nretval_ = value",
                                              do_return=self.do_return, retval_=self.retval,
                                              value=value), node)

    def _visit_loop(self, node):
        has_return = bool(_returns(node))
        node.body = self.block(node.body)
        node.orelse = self.block(node.orelse)
        if has_return:
            self.stop_loop_when_set(node, self.do_return)
        return node

    visit_While = _visit_loop
    visit_For = _visit_loop


def transform(node, ctx):
    """Lowers the returns of the function `node` (see the module docstring)."""
    returns = [r for stmt in node.body for r in _returns(stmt)]
    if not returns or (len(returns) == 1 and node.body[-1] is returns[0]):
        return node
    body = list(node.body)
    if not isinstance(body[-1], gast.Return):
        implicit = gast.Return(value=None)
        transformer.Base(ctx).located(implicit, body[-1])
        body.append(implicit)
    do_return = ctx.namer.new_symbol("do_return")
    retval = ctx.namer.new_symbol("retval_")
    t = ReturnTransformer(ctx, do_return, retval)
    new_body = t.block(body)
    prologue = templates.replace("do_return = False\nretval_ = ag__.UndefinedReturnValue()",
                                 do_return=do_return, retval_=retval)
    epilogue = templates.replace("return ag__.retval(retval_)", retval_=retval)
    t.located(prologue, node.body[0])
    t.located(epilogue, body[-1])
    node.body = prologue + new_body + epilogue
    return node
