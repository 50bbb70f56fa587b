"""Source <-> AST: parse a live function into gast with the user's line numbers, and unparse."""

import ast
import inspect
import linecache
import textwrap

import gast


class SourceUnavailableError(Exception):
    """The function's source cannot be read (builtin, REPL lambda, exec'd or compiled code)."""


def get_source(fn):
    """Returns `(source_lines, first_lineno, filename)` for the live function `fn`.

    `source_lines` are the function's lines as in the file (not dedented), `first_lineno` the
    1-based line of the first of them.
    """
    try:
        filename = inspect.getsourcefile(fn) or inspect.getfile(fn)
        lines, first = inspect.getsourcelines(fn)
    except (OSError, TypeError) as e:
        raise SourceUnavailableError(str(e)) from e
    # inspect.getsourcelines returns 0 for a module; functions always start at line >= 1.
    return lines, max(first, 1), filename


def parse(source, first_lineno=1):
    """Parses dedented `source` into a gast Module whose line numbers count from `first_lineno`.

    Columns are those of the dedented text; lines are the user's, so code compiled from the
    returned tree reports the user's lines in tracebacks.
    """
    tree = ast.parse(textwrap.dedent(source))
    ast.increment_lineno(tree, first_lineno - 1)
    return gast.ast_to_gast(tree)


def parse_entity(fn):
    """Parses function `fn` into `(gast.FunctionDef or gast.Lambda, source, filename)`.

    Raises:
      SourceUnavailableError: no source file, or the source does not parse on its own.
    """
    lines, first, filename = get_source(fn)
    source = "".join(lines)
    if fn.__name__ == "<lambda>":
        return _parse_lambda(fn, source, first, filename), source, filename
    try:
        module = parse(source, first)
    except SyntaxError as e:
        raise SourceUnavailableError(f"the source of {fn.__qualname__} does not parse: {e}")
    node = module.body[0]
    if not isinstance(node, (gast.FunctionDef, gast.AsyncFunctionDef)):
        raise SourceUnavailableError(f"expected a def for {fn.__qualname__}")
    return node, source, filename


def _parse_lambda(fn, source, first, filename):
    """Finds the one lambda on `fn`'s first line whose arguments match `fn`'s code."""
    # inspect returns the whole statement for a lambda; parse the statement, else the line.
    line = fn.__code__.co_firstlineno
    for text, start in ((source, first), (linecache.getline(filename, line), line)):
        try:
            module = parse(text, start)
        except SyntaxError:
            continue
        arg_names = fn.__code__.co_varnames[:fn.__code__.co_argcount]
        found = [n for n in gast.walk(module) if isinstance(n, gast.Lambda)
                 and n.lineno == line
                 and tuple(a.id for a in n.args.args) == tuple(arg_names)]
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise SourceUnavailableError(
                f"line {line} of {filename} has several lambdas with the same arguments")
    raise SourceUnavailableError(f"cannot find the source of the lambda at {filename}:{line}")


def parse_expression(text):
    """Parses a Python expression into a gast expression node (no locations)."""
    return gast.parse(textwrap.dedent(text).strip(), mode="eval").body


def to_ast(node):
    """Converts a gast node (or list of nodes) to the standard `ast` equivalent."""
    if isinstance(node, list):
        return [to_ast(n) for n in node]
    return gast.gast_to_ast(node)


def unparse(node):
    """Readable Python source for a gast node or list of nodes."""
    if isinstance(node, list):
        return "\n".join(unparse(n) for n in node)
    tree = gast.gast_to_ast(node)
    return ast.unparse(ast.fix_missing_locations(tree))
