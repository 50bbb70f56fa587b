"""The conversion pipeline: parse a function, run the converters in order, load the result."""

import builtins

import gast

from .converters import (asserts, break_statements, call_trees, conditional_expressions,
                         continue_statements, control_flow, functions, lists,
                         logical_expressions, print_calls, return_statements, slices)
from . import unsupported_features
from .pyct import anno, naming, origin_info, parser, transformer

#: The converters, in the order they run. Flags for break/continue/return come first so that
#: control_flow sees loops with a single exit; calls are wrapped before control_flow creates
#: its own `ag__` calls; control_flow runs last and needs fresh static analysis.
PIPELINE = (
    functions,                # lambda -> def; drop decorators
    break_statements,         # break -> break_ flag; loop else clauses moved out
    continue_statements,      # continue -> continue_ flag
    return_statements,        # return at any depth -> do_return / retval_
    asserts,                  # assert -> ag__.assert_
    print_calls,              # print -> ag__.print_
    lists,                    # out.append(v) -> out = ag__.list_append(out, v)
    call_trees,               # f(x) -> ag__.converted_call(f, (x,), None)
    slices,                   # a[k] = v -> a = ag__.set_item(a, k, v)
    conditional_expressions,  # a if c else b -> ag__.if_exp
    logical_expressions,      # and / or / not / chained comparisons -> ag__.and_ ...
    control_flow,             # if / while / for -> ag__.if_stmt / while_stmt / for_stmt
)


def namespace_of(fn):
    """The names `fn` can see: its globals, builtins, and its closure's current values."""
    ns = dict(vars(builtins))
    ns.update(fn.__globals__)
    for name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or ()):
        try:
            ns[name] = cell.cell_contents
        except ValueError:  # An empty cell: the variable is not assigned yet.
            pass
    return ns


def transform_function(fn):
    """Parses and converts `fn`; returns `(converted gast.FunctionDef, Context)`.

    Raises:
      parser.SourceUnavailableError: the source of `fn` cannot be found.
      flowjit.errors.ConversionError: the source uses a feature that cannot be converted.
    """
    node, source, filename = parser.parse_entity(fn)
    name = fn.__name__ if fn.__name__ != "<lambda>" else "ag__lambda"
    first_line = source.splitlines()[0] if source else ""
    if fn.__name__ != "<lambda>":
        origin_info.shift_columns(node, len(first_line) - len(first_line.lstrip()))
    origin_info.resolve(node, filename, name)
    info = transformer.EntityInfo(name, filename, source, namespace_of(fn))
    ctx = transformer.Context(info, naming.Namer(node, global_names={"ag__"}))
    node = functions.transform(node, ctx)
    return _convert_entity(node, ctx), ctx


def _nested_defs(node):
    """The function definitions directly inside `node`'s scope (not inside those)."""
    found, todo = [], list(gast.iter_child_nodes(node))
    while todo:
        n = todo.pop()
        if isinstance(n, (gast.FunctionDef, gast.AsyncFunctionDef)):
            found.append(n)
        elif not isinstance(n, (gast.Lambda, gast.ClassDef)):
            todo.extend(gast.iter_child_nodes(n))
    return found


def _convert_entity(node, ctx):
    """Runs the pipeline on a function, after converting the functions it defines.

    Nested functions are converted in place, innermost first, so that everything defined by
    converted code is converted code (a nested def passed to `fj.cond`, say, is called by the
    IR directly, not through converted_call). The outer function's converters then leave them
    alone (anno.Basic.SKIP_PROCESSING).
    """
    for nested in _nested_defs(node):
        _convert_entity(nested, ctx)
        anno.setanno(nested, anno.Basic.SKIP_PROCESSING, True)
    unsupported_features.verify(node, ctx.info.filename)
    for converter in PIPELINE[1:]:
        node = converter.transform(node, ctx)
    return node
