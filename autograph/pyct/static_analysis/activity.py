"""Activity analysis: which names each statement and block reads, modifies or deletes.

Writing through a subscript or attribute (`a[i] = v`, `a[i] += v`, `a.x = v`) counts as
modifying the root name `a`: the converted code must carry `a` out of a branch or around a
loop exactly as if it had been reassigned. Nested functions, lambdas and comprehensions count
as reading the names they take from the enclosing scope; what they bind stays theirs.
"""

import gast

from .. import anno, qual_names


class Scope:
    """Names read, modified and deleted by a piece of code; `global`/`nonlocal` declarations."""

    def __init__(self):
        self.read = set()
        self.modified = set()
        self.deleted = set()
        self.globals = set()
        self.nonlocals = set()

    def copy(self):
        return Scope().merge(self)

    def merge(self, other):
        self.read |= other.read
        self.modified |= other.modified
        self.deleted |= other.deleted
        self.globals |= other.globals
        self.nonlocals |= other.nonlocals
        return self

    @property
    def referenced(self):
        return self.read | self.modified | self.deleted

    def __repr__(self):
        return (f"Scope(read={sorted(self.read)}, modified={sorted(self.modified)}, "
                f"deleted={sorted(self.deleted)})")


def _target_names(target, scope):
    """Records the names an assignment target binds (roots of subscripts/attributes)."""
    if isinstance(target, (gast.Tuple, gast.List)):
        for e in target.elts:
            _target_names(e, scope)
        return
    if isinstance(target, gast.Starred):
        _target_names(target.value, scope)
        return
    qn = qual_names.from_node(target)
    if qn is not None:
        scope.modified.add(qn.root)
    if isinstance(target, (gast.Subscript, gast.Attribute)):
        # `a[i] = v` reads `a` (to update it) and the index expression.
        scope.read |= expression_reads(target)


def expression_reads(node):
    """Free names an expression (or any node) reads, minus what its inner scopes bind."""
    reads = set()
    if node is None:
        return reads
    todo = [node]
    while todo:
        n = todo.pop()
        if isinstance(n, gast.Name):
            if isinstance(n.ctx, (gast.Load, gast.Del)) or n.ctx is None:
                reads.add(n.id)
            continue
        if isinstance(n, (gast.FunctionDef, gast.AsyncFunctionDef, gast.Lambda)):
            reads |= _function_free_reads(n)
            continue
        if isinstance(n, (gast.ListComp, gast.SetComp, gast.GeneratorExp, gast.DictComp)):
            reads |= _comprehension_reads(n)
            continue
        if isinstance(n, gast.ClassDef):
            for part in n.bases + n.keywords + n.decorator_list:
                reads |= expression_reads(part)
            for stmt in n.body:
                reads |= statement_scope(stmt).read
            continue
        todo.extend(gast.iter_child_nodes(n))
    return reads


def _function_free_reads(node):
    """Names a nested function or lambda reads from its enclosing scope."""
    args = node.args
    bound = {a.id for a in args.args + args.posonlyargs + args.kwonlyargs}
    for a in (args.vararg, args.kwarg):
        if a is not None:
            bound.add(a.id)
    reads = set()
    for default in args.defaults + [d for d in args.kw_defaults if d is not None]:
        reads |= expression_reads(default)
    if isinstance(node, gast.Lambda):
        return reads | (expression_reads(node.body) - bound)
    for d in node.decorator_list:
        reads |= expression_reads(d)
    inner = block_scope(node.body)
    local = (bound | inner.modified) - inner.nonlocals - inner.globals
    return reads | (inner.read - local) | (inner.nonlocals & inner.modified)


def _comprehension_reads(node):
    bound, reads = set(), set()
    for gen in node.generators:
        reads |= expression_reads(gen.iter) - bound
        tmp = Scope()
        _target_names(gen.target, tmp)
        bound |= tmp.modified
        for cond in gen.ifs:
            reads |= expression_reads(cond) - bound
    elts = [node.key, node.value] if isinstance(node, gast.DictComp) else [node.elt]
    for e in elts:
        reads |= expression_reads(e) - bound
    return reads


def header_scope(node, extra_test=None):
    """Activity of what a statement does by itself: all of a simple statement; the test of an
    `if`/`while`; the iterable, target and extra test of a `for`; the items of a `with`."""
    scope = Scope()
    if isinstance(node, (gast.If, gast.While)):
        scope.read |= expression_reads(node.test)
    elif isinstance(node, (gast.For, gast.AsyncFor)):
        scope.read |= expression_reads(node.iter)
        _target_names(node.target, scope)
        for test in extra_test or anno.getanno(node, anno.Basic.EXTRA_LOOP_TEST, []):
            scope.read |= expression_reads(test)
    elif isinstance(node, (gast.With, gast.AsyncWith)):
        for item in node.items:
            scope.read |= expression_reads(item.context_expr)
            if item.optional_vars is not None:
                _target_names(item.optional_vars, scope)
    elif isinstance(node, gast.Try):
        pass
    elif isinstance(node, gast.ExceptHandler):
        scope.read |= expression_reads(node.type)
        if node.name is not None:
            _target_names(node.name, scope)
    else:
        _simple_statement(node, scope)
    return scope


def _simple_statement(node, scope):
    if isinstance(node, gast.Assign):
        scope.read |= expression_reads(node.value)
        for t in node.targets:
            _target_names(t, scope)
    elif isinstance(node, gast.AugAssign):
        scope.read |= expression_reads(node.value) | expression_reads(node.target)
        qn = qual_names.from_node(node.target)
        if qn is not None:
            scope.read.add(qn.root)
        _target_names(node.target, scope)
    elif isinstance(node, gast.AnnAssign):
        if node.value is not None:
            scope.read |= expression_reads(node.value)
            _target_names(node.target, scope)
    elif isinstance(node, (gast.FunctionDef, gast.AsyncFunctionDef)):
        scope.read |= _function_free_reads(node)
        scope.modified.add(node.name)
    elif isinstance(node, gast.ClassDef):
        scope.read |= expression_reads(node)
        scope.modified.add(node.name)
    elif isinstance(node, gast.Delete):
        for t in node.targets:
            if isinstance(t, gast.Name):
                scope.deleted.add(t.id)
                scope.read.add(t.id)
            else:
                _target_names(t, scope)
    elif isinstance(node, (gast.Import, gast.ImportFrom)):
        for alias in node.names:
            scope.modified.add((alias.asname or alias.name).split(".")[0])
    elif isinstance(node, gast.Global):
        scope.globals.update(node.names)
    elif isinstance(node, gast.Nonlocal):
        scope.nonlocals.update(node.names)
    else:
        scope.read |= expression_reads(node)
    # Walrus targets bind in the enclosing scope.
    for n in gast.walk(node):
        if isinstance(n, gast.NamedExpr):
            scope.modified.add(n.target.id)


def statement_scope(node, memo=None):
    """Activity of a whole statement, nested blocks included (not nested functions' bodies).

    `memo` (a dict, or None): Scopes already computed, by statement id; `resolve` passes one
    so that annotating every statement of a nest costs one pass, not one per nesting level.
    """
    if memo is not None and id(node) in memo:
        return memo[id(node)].copy()
    scope = header_scope(node)
    for field in ("body", "orelse", "finalbody"):
        if field in node._fields and not isinstance(node, (gast.FunctionDef,
                                                           gast.AsyncFunctionDef,
                                                           gast.ClassDef)):
            scope.merge(block_scope(getattr(node, field), memo))
    if isinstance(node, gast.Try):
        for handler in node.handlers:
            scope.merge(header_scope(handler)).merge(block_scope(handler.body, memo))
    if memo is not None:
        memo[id(node)] = scope.copy()
    return scope


def block_scope(stmts, memo=None):
    """Union of the activity of a list of statements (`memo`: see `statement_scope`)."""
    scope = Scope()
    for stmt in stmts:
        scope.merge(statement_scope(stmt, memo))
    return scope


class _Annotator(gast.NodeVisitor):

    def __init__(self):
        # Statement Scopes by id; the tree is alive and unchanged while it is annotated.
        self.memo = {}

    def generic_visit(self, node):
        if isinstance(node, gast.stmt):
            anno.setanno(node, anno.Static.SCOPE, statement_scope(node, self.memo))
            if isinstance(node, (gast.If, gast.While, gast.For, gast.AsyncFor, gast.Try,
                                 gast.With)):
                anno.setanno(node, anno.Static.BODY_SCOPE, block_scope(node.body, self.memo))
            if isinstance(node, (gast.If, gast.While, gast.For, gast.AsyncFor, gast.Try)):
                anno.setanno(node, anno.Static.ORELSE_SCOPE,
                             block_scope(node.orelse, self.memo))
            if isinstance(node, (gast.For, gast.AsyncFor)):
                anno.setanno(node, anno.Static.ITERATE_SCOPE, header_scope(node))
        if isinstance(node, (gast.Lambda, gast.ClassDef)):
            return
        super().generic_visit(node)

    def visit_FunctionDef(self, node):
        anno.setanno(node, anno.Static.SCOPE, statement_scope(node, self.memo))
        anno.setanno(node, anno.Static.BODY_SCOPE, block_scope(node.body, self.memo))
        args = Scope()
        for a in node.args.args + node.args.posonlyargs + node.args.kwonlyargs:
            args.modified.add(a.id)
        for a in (node.args.vararg, node.args.kwarg):
            if a is not None:
                args.modified.add(a.id)
        anno.setanno(node, anno.Static.ARGS_SCOPE, args)
        for stmt in node.body:
            self.visit(stmt)


def resolve(node):
    """Annotates the statements under `node` with their Scopes (see anno.Static)."""
    _Annotator().visit(node)
    return node
