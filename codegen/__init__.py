"""Code generation: lower an `ir.Graph` to LLVM IR, optimize it, and describe its ABI."""

from .compile import CompiledGraph, compile_graph  # noqa: F401
