"""StagingError messages in the user's vocabulary, with the user's file, lines and a fix.

Locations come from the frame of the converted code that called the operator: converted code
is compiled with the user's file name and line numbers, so that frame's line is the line of
the user's `if`/`while`/`for`. The assignment and use lines are found by re-reading that file.
"""

import linecache
import os

import gast

from ...errors import StagingError
from ..pyct import parser


class Site:
    """The user statement an operator call stands for: file, line, source text."""

    def __init__(self, filename, lineno):
        self.filename = filename
        self.lineno = lineno

    @classmethod
    def of_caller(cls, frame):
        return cls(frame.f_code.co_filename, frame.f_lineno)

    def line(self, lineno=None):
        lineno = self.lineno if lineno is None else lineno
        return linecache.getline(self.filename, lineno).rstrip("\n")

    def excerpt(self, lineno=None):
        lineno = self.lineno if lineno is None else lineno
        return f"{os.path.basename(self.filename)}:{lineno}   {self.line(lineno)}"


def _find_statement(site, kinds):
    """The innermost statement of `kinds` starting at the site's line in its file, plus the
    module tree (or (None, None) if the file cannot be read or parsed)."""
    lines = linecache.getlines(site.filename)
    if not lines:
        return None, None
    try:
        tree = parser.parse("".join(lines))
    except SyntaxError:
        return None, None
    found = [n for n in gast.walk(tree) if isinstance(n, kinds) and n.lineno == site.lineno]
    return (found[-1] if found else None), tree


def _assignments(stmts, name):
    lines = []
    for stmt in stmts:
        for n in gast.walk(stmt):
            if isinstance(n, gast.Name) and n.id == name and isinstance(n.ctx, gast.Store):
                lines.append(n.lineno)
    return sorted(set(lines))


def _first_use_after(tree, stmt, name):
    end = getattr(stmt, "end_lineno", stmt.lineno)
    uses = sorted(n.lineno for n in gast.walk(tree) if isinstance(n, gast.Name)
                  and n.id == name and isinstance(n.ctx, gast.Load) and n.lineno > end)
    return uses[0] if uses else None


def undefined_in_branch(name, assigned_in, site):
    """'x' is assigned only in one branch of a traced `if` and is used after it."""
    other = "else" if assigned_in == "if" else "if"
    node, tree = _find_statement(site, (gast.If,))
    lines = [f"'{name}' is assigned only in the `{assigned_in}` branch of a condition that "
             f"depends on traced values, and it is used after the `if`.",
             f"  condition:  {site.excerpt()}"]
    if node is not None:
        block = node.body if assigned_in == "if" else node.orelse
        for lineno in _assignments(block, name)[:3]:
            lines.append(f"  assigned:   {site.excerpt(lineno)}")
        use = _first_use_after(tree, node, name)
        if use is not None:
            lines.append(f"  used:       {site.excerpt(use)}")
    lines.append(f"  fix: give `{name}` a value before the `if` (for example "
                 f"`{name} = np.zeros_like(...)` with the shape and dtype it gets), or assign "
                 f"it in the `{other}` branch too.")
    return StagingError("\n".join(lines))


def returns_on_some_paths(site):
    """A traced `if` returns a value on one path and falls through to `return None` on another."""
    return StagingError(
        "the function returns an array on some paths and None on others, and which one "
        "depends on a traced condition.\n"
        f"  condition:  {site.excerpt()}\n"
        "  fix: return a value (of the same dtype and shape) on every path, for example by "
        "adding a final `return` statement.")


def located(error, site, what):
    """Adds the user statement `site` to a StagingError raised while staging it."""
    if getattr(error, "_ag_located", False):
        return error
    text, fix = str(error), None
    # The IR's type errors end with the remedy ("Initialize 'x' ...", "Give 'x' ..."): show it
    # after the location, as the template's `fix:` line.
    for marker in (" Initialize ", " Give ", " fix: "):
        k = text.find(marker)
        if k > 0:
            text, fix = text[:k].rstrip(), text[k + 1:].removeprefix("fix: ")
            break
    new = StagingError(f"{text}\n  {what}:  {site.excerpt()}"
                       + (f"\n  fix: {fix}" if fix else ""))
    new._ag_located = True
    return new
