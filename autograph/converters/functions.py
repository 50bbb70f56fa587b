"""Normalizes the converted entity: a lambda becomes a def, decorators are dropped.

`fj.function` hands AutoGraph the undecorated function, and any other decorator has already
run, so re-applying decorators to the converted code would be wrong.
"""

import gast

from ..pyct import templates


def transform(node, ctx):
    """Returns a FunctionDef for the entity `node` (a FunctionDef or a Lambda)."""
    if isinstance(node, gast.Lambda):
        fn = templates.replace("def name(): return body", name=ctx.info.name,
                               body=node.body)[0]
        fn.args = node.args
        for attr in ("lineno", "col_offset", "end_lineno", "end_col_offset"):
            setattr(fn, attr, getattr(node, attr))
            setattr(fn.body[0], attr, getattr(node, attr))
        return fn
    node.decorator_list = []
    return node
