"""`a[k] = v` and `a[k] op= v` on a variable -> `a = ag__.set_item(a, k, v)`.

Why: an array created at trace time from static shapes (`out = np.zeros(n)`) is a NumPy array,
and NumPy cannot store a traced value into it. `set_item` turns such an array into a traced
one when the value or the index is traced, and the assignment rebinds the variable to it; in
every other case it performs the same `__setitem__` Python would and returns the very same
object, so aliases (and the caller's array) still see the update. Rebinding also makes the
array a variable the enclosing `if`/loop carries, which is what a functional update is.

Only subscripts of a plain name are rewritten (`self.a[i] = v` and chained targets are left to
Python). Slices become `slice(start, stop, step)` objects, so the key is an ordinary value.
"""

import gast

from ..pyct import templates, transformer

_AUG_OPS = {gast.Add: "+=", gast.Sub: "-=", gast.Mult: "*=", gast.Div: "/=",
            gast.FloorDiv: "//=", gast.Mod: "%=", gast.Pow: "**=", gast.MatMult: "@=",
            gast.BitAnd: "&=", gast.BitOr: "|=", gast.BitXor: "^=", gast.LShift: "<<=",
            gast.RShift: ">>="}


def _none():
    return gast.Constant(value=None, kind=None)


def _key(node):
    """The subscript `node` as an expression (a Slice node is not one)."""
    if isinstance(node, gast.Slice):
        return gast.Call(func=gast.Name(id="slice", ctx=gast.Load(), annotation=None,
                                        type_comment=None),
                         args=[node.lower or _none(), node.upper or _none(),
                               node.step or _none()], keywords=[])
    if isinstance(node, gast.Tuple):
        return gast.Tuple(elts=[_key(e) for e in node.elts], ctx=gast.Load())
    return node


def _name_subscript(target):
    return (isinstance(target, gast.Subscript) and isinstance(target.value, gast.Name)
            and isinstance(target.ctx, gast.Store))


class SliceTransformer(transformer.Base):

    def visit_Assign(self, node):
        node = self.generic_visit(node)
        if len(node.targets) != 1 or not _name_subscript(node.targets[0]):
            return node
        target = node.targets[0]
        new = templates.replace("a = ag__.set_item(a, key, value)", a=target.value.id,
                                key=_key(target.slice), value=node.value)
        return self.located(new, node)

    def visit_AugAssign(self, node):
        node = self.generic_visit(node)
        if not _name_subscript(node.target) or type(node.op) not in _AUG_OPS:
            return node
        target = node.target
        new = templates.replace("a = ag__.set_item(a, key, value, op)", a=target.value.id,
                                key=_key(target.slice), value=node.value,
                                op=gast.Constant(value=_AUG_OPS[type(node.op)], kind=None))
        return self.located(new, node)

    def visit_FunctionDef(self, node):
        return node

    def visit_Lambda(self, node):
        return node


def transform(node, ctx):
    """Rewrites the subscript assignments of the function `node`."""
    node.body = SliceTransformer(ctx).visit_block(node.body)
    return node
