"""flowjit's IR: typed SSA values, ops with nested regions, graphs, tracing and passes."""

from .core import BlockArg, Graph, Kernel, Literal, Op, Region, Value
from .types import Dim, TensorType

__all__ = ["BlockArg", "Dim", "Graph", "Kernel", "Literal", "Op", "Region", "TensorType", "Value"]
