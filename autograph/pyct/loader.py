"""Turns a converted FunctionDef back into a live function bound to the original's namespace.

The AST is compiled directly (not printed and re-parsed) with the user's file name, so every
frame of converted code reports the user's file and lines. The converted def is wrapped in a
factory whose parameters are the original function's free variables; the inner code object
then has the same free variables, and the new function is built around the original closure
cells: reads and writes of closed-over variables stay shared with the original function.
"""

import ast
import types

import gast

from . import templates

_FACTORY = "ag__factory"
_CONVERTED = "ag__converted"


def _factory_module(fn_node, freevars):
    params = [gast.Name(id=v, ctx=gast.Param(), annotation=None, type_comment=None)
              for v in freevars]
    factory = gast.FunctionDef(
        name=_FACTORY,
        args=gast.arguments(args=params, posonlyargs=[], vararg=None, kwonlyargs=[],
                            kw_defaults=[], kwarg=None, defaults=[]),
        body=[fn_node, gast.Return(value=gast.Name(id=fn_node.name, ctx=gast.Load(),
                                                   annotation=None, type_comment=None))],
        decorator_list=[], returns=None, type_comment=None, type_params=[])
    for attr in ("lineno", "col_offset", "end_lineno", "end_col_offset"):
        setattr(factory, attr, getattr(fn_node, attr, 1))
    return gast.Module(body=[factory], type_ignores=[])


def load_function(fn_node, original, extra_cells, filename):
    """Compiles `fn_node` into a function that shares `original`'s globals and closure.

    Args:
      fn_node: the converted gast.FunctionDef (its decorators are dropped).
      original: the user's function.
      extra_cells: name -> value for additional free variables of the converted code (the
        `ag__` operators module).
      filename: the user's file, used as the code's file name.

    Returns:
      The converted function, with the original's name, defaults, docs and attributes.
    """
    fn_node = templates.copy_clean(fn_node)
    fn_node.decorator_list = []
    # Inside the factory the def gets a reserved name: under its own name it would bind a
    # factory local, and a recursive call (a global name in the user's code) would resolve to
    # that local instead of the module's global. The code object gets its names back below.
    fn_node.name = _CONVERTED
    code = original.__code__
    cells = dict(zip(code.co_freevars, original.__closure__ or ()))
    for name, value in extra_cells.items():
        cells[name] = types.CellType(value)
    module = ast.fix_missing_locations(gast.gast_to_ast(_factory_module(fn_node, list(cells))))
    compiled = compile(module, filename, "exec", dont_inherit=True)
    factory_code = next(c for c in compiled.co_consts if isinstance(c, types.CodeType))
    inner = next(c for c in factory_code.co_consts
                 if isinstance(c, types.CodeType) and c.co_name == fn_node.name)
    inner = inner.replace(co_name=code.co_name, co_qualname=code.co_qualname)
    closure = tuple(cells[name] for name in inner.co_freevars)
    new = types.FunctionType(inner, original.__globals__, original.__name__,
                             original.__defaults__, closure)
    new.__kwdefaults__ = original.__kwdefaults__
    new.__qualname__ = original.__qualname__
    new.__module__ = original.__module__
    new.__doc__ = original.__doc__
    new.__dict__.update(original.__dict__)
    return new


def source_of(fn_node):
    """The Python source of a gast function node, as `to_code` shows it."""
    return ast.unparse(ast.fix_missing_locations(gast.gast_to_ast(templates.copy_clean(fn_node))))
