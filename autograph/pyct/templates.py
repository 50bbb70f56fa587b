"""Code templates: Python source with placeholder names, filled with AST nodes.

    templates.replace('''
        def body_name():
            nonlocal state
            body
    ''', body_name='if_body', state=['x', 'y'], body=node.body)

A placeholder is any identifier named in the keyword arguments. It is replaced wherever it
appears: as a Name (by a name string, an expression node, or a list of nodes spliced into the
enclosing list: statements, tuple elements, call arguments), as a def's name, as a parameter,
or in a `nonlocal`/`global` list.
"""

import functools
import textwrap

import gast



def _copy(node):
    """Deep-copies an AST node, keeping locations and annotations (shallowly)."""
    if isinstance(node, list):
        return [_copy(n) for n in node]
    if not isinstance(node, gast.AST):
        return node
    new = type(node)(**{f: _copy(getattr(node, f, None)) for f in node._fields})
    for attr in node._attributes:
        if hasattr(node, attr):
            setattr(new, attr, getattr(node, attr))
    if hasattr(node, "___anno"):
        setattr(new, "___anno", dict(getattr(node, "___anno")))
    return new


copy_clean = _copy


def _set_ctx(node, ctx):
    """Sets the context of a target-like node (and of tuple/list elements) to `ctx`."""
    if isinstance(node, (gast.Name, gast.Attribute, gast.Subscript, gast.Starred)):
        node.ctx = ctx()
        if isinstance(node, gast.Starred):
            _set_ctx(node.value, ctx)
    elif isinstance(node, (gast.Tuple, gast.List)):
        node.ctx = ctx()
        for e in node.elts:
            _set_ctx(e, ctx)


def _as_node(value, ctx):
    if isinstance(value, str):
        return gast.Name(id=value, ctx=ctx(), annotation=None, type_comment=None)
    node = _copy(value)
    if isinstance(node, gast.expr):
        _set_ctx(node, ctx)
    return node


class _Replacer(gast.NodeTransformer):

    def __init__(self, replacements):
        self.replacements = replacements

    def _splice(self, items):
        out = []
        for item in items:
            key = None
            if isinstance(item, gast.Name):
                key = item.id
            elif isinstance(item, gast.Expr) and isinstance(item.value, gast.Name):
                key = item.value.id
            if key in self.replacements and isinstance(self.replacements[key], (list, tuple)):
                ctx = type(item.ctx) if isinstance(item, gast.Name) else gast.Load
                for value in self.replacements[key]:
                    node = _as_node(value, ctx)
                    if isinstance(item, gast.Expr) and isinstance(node, gast.expr):
                        node = gast.Expr(value=node)
                    out.append(node)
                continue
            new = self.visit(item)
            if isinstance(new, list):
                out.extend(new)
            elif new is not None:
                out.append(new)
        return out

    def generic_visit(self, node):
        for field in node._fields:
            value = getattr(node, field, None)
            if isinstance(value, list):
                setattr(node, field, self._splice(value))
            elif isinstance(value, gast.AST):
                setattr(node, field, self.visit(value))
        return node

    def visit_Name(self, node):
        if node.id not in self.replacements:
            return node
        value = self.replacements[node.id]
        if isinstance(value, (list, tuple)):
            raise ValueError(f"placeholder {node.id} holds a list but is not in a list position")
        return _as_node(value, type(node.ctx))

    def visit_Expr(self, node):
        if isinstance(node.value, gast.Name) and node.value.id in self.replacements:
            value = self.replacements[node.value.id]
            if isinstance(value, gast.stmt):
                return _copy(value)
        return self.generic_visit(node)

    def visit_FunctionDef(self, node):
        if node.name in self.replacements:
            node.name = self.replacements[node.name]
        return self.generic_visit(node)

    def _names(self, node):
        names = []
        for name in node.names:
            value = self.replacements.get(name, name)
            names.extend([value] if isinstance(value, str) else value)
        node.names = names
        return node if names else None

    visit_Nonlocal = _names
    visit_Global = _names


@functools.lru_cache(maxsize=256)
def _parsed(template):
    """The template's tree without locations (kept unchanged: `replace` fills a copy)."""
    tree = gast.parse(textwrap.dedent(template))
    for node in gast.walk(tree):
        # Template lines mean nothing to the user: generated nodes get the location of the
        # statement they replace (origin_info.copy_location); substituted nodes keep theirs.
        for attr in node._attributes:
            if hasattr(node, attr):
                delattr(node, attr)
    return tree


def replace(template, **replacements):
    """Parses `template` and substitutes the placeholders; returns a list of statements.

    A `nonlocal`/`global` statement whose list becomes empty is dropped, and a body left
    empty gets a `pass`, so templates need no special cases for zero variables.
    """
    tree = _Replacer(replacements).visit(_copy(_parsed(template)))
    for node in gast.walk(tree):
        if isinstance(node, (gast.FunctionDef, gast.If, gast.While, gast.For, gast.With)) \
                and not node.body:
            node.body = [gast.Pass()]
    return tree.body


def replace_as_expression(template, **replacements):
    """Like `replace`, for a template that is a single expression; returns the expression."""
    body = replace(template, **replacements)
    if len(body) != 1 or not isinstance(body[0], gast.Expr):
        raise ValueError(f"template is not a single expression: {template!r}")
    return body[0].value
