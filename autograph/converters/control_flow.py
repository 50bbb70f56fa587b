"""`if`, `while` and `for` -> one `ag__.if_stmt` / `while_stmt` / `for_stmt` call each.

The statement's blocks become local functions that read and write the enclosing variables
through `nonlocal`; `get_state`/`set_state` read and write the variables that flow through the
statement, so the operator can run the blocks once in Python or trace them into a `cond` or
`while_loop` region:

    if x > 0:                      def get_state():
        y = x                          return (y,)
    else:                          def set_state(vars_):
        y = -x                         nonlocal y
                                       (y,) = vars_
                                   def if_body():
                                       nonlocal y
                                       y = x
                                   def else_body():
                                       nonlocal y
                                       y = -x
                                   y = ag__.Undefined('y')
                                   ag__.if_stmt(x > 0, if_body, else_body, get_state,
                                                set_state, ('y',), 1)

Which variables flow through (AutoGraph's rule): those the statement modifies that are live
on entry or after it, `modified ∩ (live_in ∪ live_out)`; for an `if`, the outputs are
`modified ∩ live_out` (listed first; the count is the last argument). A variable with no
definition reaching the statement is first bound to `ag__.Undefined('name')`, so that the
state functions can name it and the operator can report it by name.
"""

import gast

from ..pyct import anno, cfg, qual_names, templates, transformer
from ..pyct.static_analysis import activity, liveness, reaching_definitions

# Methods that mutate Python containers: a loop calling them has effects that are not
# loop-carried values, so a Python `range` loop must then unroll rather than stage.
_MUTATING_METHODS = frozenset({"append", "extend", "insert", "pop", "remove", "clear", "update",
                               "add", "setdefault", "discard", "popitem", "sort", "reverse"})

_STATE_FUNCTIONS = """
def get_state():
    return state_tuple
def set_state(vars_):
    nonlocal state
    state_tuple = vars_
"""


class ControlFlowTransformer(transformer.Base):
    """Converts the compound statements of one function, innermost first."""

    def _state_functions(self, names, node):
        get_state = self.ctx.namer.new_symbol("get_state")
        set_state = self.ctx.namer.new_symbol("set_state")
        vars_ = self.ctx.namer.new_symbol("vars_")
        tuple_ = gast.Tuple(elts=[gast.Name(id=n, ctx=gast.Load(), annotation=None,
                                            type_comment=None) for n in names],
                            ctx=gast.Load())
        stmts = templates.replace(_STATE_FUNCTIONS, get_state=get_state, set_state=set_state,
                                  vars_=vars_, state=list(names), state_tuple=tuple_)
        if not names:
            # `() = vars_` is valid but reads oddly; an empty state needs no assignment.
            stmts[1].body = [gast.Pass()]
        return stmts, get_state, set_state

    def _block_function(self, name, names, body, params=()):
        fn_name = self.ctx.namer.new_symbol(name)
        if not body:  # An empty block (a missing `else:`) needs no state.
            names, body = (), [gast.Pass()]
        fn = templates.replace("def fn_name(params):\n    nonlocal state\n    body",
                               fn_name=fn_name, params=list(params), state=list(names),
                               body=body)
        return fn, fn_name

    def _undefined(self, names):
        stmts = []
        for name in names:
            stmts += templates.replace("var = ag__.Undefined(var_name)", var=name,
                                       var_name=gast.Constant(value=name, kind=None))
        return stmts

    @staticmethod
    def _opts(**opts):
        return gast.Dict(keys=[gast.Constant(value=k, kind=None) for k in opts],
                         values=[gast.Constant(value=v, kind=None) for v in opts.values()])

    @staticmethod
    def _names_tuple(names):
        return gast.Tuple(elts=[gast.Constant(value=n, kind=None) for n in names],
                          ctx=gast.Load())

    def _scope_vars(self, node, modified):
        live_in = anno.getanno(node, anno.Static.LIVE_VARS_IN)
        live_out = anno.getanno(node, anno.Static.LIVE_VARS_OUT)
        defined_in = anno.getanno(node, anno.Static.DEFINED_VARS_IN)
        carried = modified & (live_in | live_out)
        undefined = sorted(v for v in carried if v not in defined_in)
        return carried, live_out, undefined

    def visit_If(self, node):
        # Note: the analysis annotations must be read before the blocks are converted: the
        # generated code carries none.
        modified = (anno.getanno(node, anno.Static.BODY_SCOPE).modified
                    | anno.getanno(node, anno.Static.ORELSE_SCOPE).modified)
        carried, live_out, undefined = self._scope_vars(node, modified)
        outputs = sorted(carried & live_out)
        names = outputs + sorted(carried - live_out)
        node = self.generic_visit(node)

        state_fns, get_state, set_state = self._state_functions(names, node)
        body_fn, body_name = self._block_function("if_body", names, node.body)
        else_fn, else_name = self._block_function("else_body", names, node.orelse)
        call = templates.replace(
            "ag__.if_stmt(test, body_name, else_name, get_state, set_state, names, nouts)",
            test=node.test, body_name=body_name, else_name=else_name, get_state=get_state,
            set_state=set_state, names=self._names_tuple(names),
            nouts=gast.Constant(value=len(outputs), kind=None))
        return self.located(self._undefined(undefined) + state_fns + body_fn + else_fn + call,
                            node)

    def visit_While(self, node):
        modified = anno.getanno(node, anno.Static.BODY_SCOPE).modified
        carried, _, undefined = self._scope_vars(node, modified)
        names = sorted(carried)
        node = self.generic_visit(node)

        state_fns, get_state, set_state = self._state_functions(names, node)
        test_fn = templates.replace("def loop_test():\n    return test",
                                    loop_test=self.ctx.namer.new_symbol("loop_test"),
                                    test=node.test)
        body_fn, body_name = self._block_function("loop_body", names, node.body)
        call = templates.replace(
            "ag__.while_stmt(loop_test, body_name, get_state, set_state, names)",
            loop_test=test_fn[0].name, body_name=body_name, get_state=get_state,
            set_state=set_state, names=self._names_tuple(names))
        return self.located(self._undefined(undefined) + state_fns + test_fn + body_fn + call,
                            node)

    def visit_For(self, node):
        modified = (anno.getanno(node, anno.Static.BODY_SCOPE).modified
                    | anno.getanno(node, anno.Static.ITERATE_SCOPE).modified)
        carried, _, undefined = self._scope_vars(node, modified)
        names = sorted(carried)
        extra_tests = anno.getanno(node, anno.Basic.EXTRA_LOOP_TEST, [])
        node = self.generic_visit(node)

        state_fns, get_state, set_state = self._state_functions(names, node)
        itr = self.ctx.namer.new_symbol("itr")
        assign_target = templates.replace("target = itr", target=node.target, itr=itr)
        body_fn, body_name = self._block_function(
            "loop_body", names, assign_target + node.body,
            params=[gast.Name(id=itr, ctx=gast.Param(), annotation=None, type_comment=None)])
        extra_fn, extra_name = [], None
        if extra_tests:
            # The extra tests only read flags: `&` needs no laziness and stays readable.
            test = extra_tests[0]
            for t in extra_tests[1:]:
                test = gast.BinOp(left=test, op=gast.BitAnd(), right=t)
            extra_name = self.ctx.namer.new_symbol("extra_test")
            extra_fn = templates.replace("def extra_test():\n    return test",
                                         extra_test=extra_name, test=test)
        python_effects = any(isinstance(n, gast.Attribute) and n.attr in _MUTATING_METHODS
                             and isinstance(n.value, gast.Name)
                             for stmt in node.body for n in gast.walk(stmt))
        iterate_names = ", ".join(sorted(
            qn.root for qn in (qual_names.from_node(n) for n in gast.walk(node.target)
                               if isinstance(n, gast.Name)) if qn is not None))
        call = templates.replace(
            "ag__.for_stmt(iter_, extra_test, body_name, get_state, set_state, names, opts)",
            iter_=node.iter,
            extra_test=extra_name or gast.Constant(value=None, kind=None),
            body_name=body_name, get_state=get_state, set_state=set_state,
            names=self._names_tuple(names),
            opts=self._opts(iterate_names=iterate_names,
                            **({"python_effects": True} if python_effects else {})))
        return self.located(
            self._undefined(undefined) + state_fns + extra_fn + body_fn + call, node)

    def visit_FunctionDef(self, node):
        return node

    def visit_Lambda(self, node):
        return node

    def visit_ClassDef(self, node):
        return node


def _bound_names(fn_node):
    """Names a function binds itself (parameters, assignments, defs, `nonlocal` declarations)."""
    bound = set()
    for n in transformer.walk_scope(fn_node):
        if isinstance(n, gast.Name) and isinstance(n.ctx, (gast.Store, gast.Param, gast.Del)):
            bound.add(n.id)
        elif isinstance(n, gast.Nonlocal):
            bound.update(n.names)
    for n in _child_functions(fn_node):
        bound.add(n.name)
    args = fn_node.args
    for a in args.args + args.posonlyargs + args.kwonlyargs + [args.vararg, args.kwarg]:
        if a is not None:
            bound.add(a.id)
    return bound


def _child_functions(fn_node):
    """The function definitions directly in `fn_node`'s scope (walk_scope does not yield
    nested functions, only their enclosing statements)."""
    found, todo = [], list(gast.iter_child_nodes(fn_node))
    while todo:
        n = todo.pop()
        if isinstance(n, gast.FunctionDef):
            found.append(n)
        elif not transformer.is_nested_function(n):
            todo.extend(gast.iter_child_nodes(n))
    return found


def _unbound_nonlocals(fn_node, enclosing):
    """Names declared `nonlocal` in functions nested in `fn_node` and bound by none of the
    functions in between."""
    missing = set()
    for n in _child_functions(fn_node):
        if not anno.getanno(n, anno.Basic.SKIP_PROCESSING, False):
            own = {name for m in n.body if isinstance(m, gast.Nonlocal) for name in m.names}
            missing |= own - enclosing
            missing |= _unbound_nonlocals(n, enclosing | _bound_names(n))
    return missing


def _bind_nonlocals(fn_node):
    """Binds at the top of the function every name a generated block declares `nonlocal` but
    no enclosing function binds (e.g. first assigned in a branch whose assignment the analysis
    found dead): `nonlocal` needs a binding in an enclosing function."""
    missing = sorted(_unbound_nonlocals(fn_node, _bound_names(fn_node)))
    if missing:
        init = []
        for name in missing:
            init += templates.replace("var = ag__.Undefined(var_name)", var=name,
                                      var_name=gast.Constant(value=name, kind=None))
        transformer.Base(None).located(init, fn_node.body[0])
        fn_node.body = init + fn_node.body


def transform(node, ctx):
    """Analyzes the function `node` and converts its control flow statements."""
    qual_names.resolve(node)
    activity.resolve(node)
    graph = cfg.build(node)
    reaching_definitions.resolve(node, graph)
    liveness.resolve(node, graph)
    node.body = ControlFlowTransformer(ctx).visit_block(node.body)
    _bind_nonlocals(node)
    return node
