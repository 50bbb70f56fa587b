"""flowjit's exception classes and the source locations they carry."""

from __future__ import annotations

import dataclasses


@dataclasses.dataclass(frozen=True)
class Location:
    """A place in the user's source: file name, 1-based line, and the text of that line."""

    filename: str
    lineno: int
    source_line: str = ""
    function: str = ""

    def __str__(self) -> str:
        import os

        return f"{os.path.basename(self.filename)}:{self.lineno}"

    def excerpt(self) -> str:
        """`file:line   source` as used in error messages."""
        return f"{self}   {self.source_line.strip()}" if self.source_line else str(self)


class FlowJitError(Exception):
    """Base class of the errors flowjit raises about the user's code."""


class ConversionError(FlowJitError):
    """AutoGraph cannot convert the function's source (e.g. no source, `yield`, `global` writes).

    The message names the user's file and line and says what to change.
    """


class StagingError(FlowJitError):
    """The converted code cannot be staged into a graph (e.g. a variable defined in only one
    branch of a traced `if`, or a loop variable whose dtype changes between iterations).

    The message names the user's file, line and variable and says what to change.
    """


class InternalError(FlowJitError):
    """A bug in flowjit itself; please report it with the function that triggered it."""
