"""Tracing: `Tensor`, the stand-in for a NumPy array while a function is traced, and `trace`.

A `Tensor` wraps an SSA `Value` of the graph being built. Python operators, NumPy ufuncs
(`__array_ufunc__`) and NumPy functions (`__array_function__`) on it emit ops instead of
computing. `a[i] = v` emits a functional `setitem` and rebinds the Tensor to the new value, so
every Python alias of `a` sees the update, as with a NumPy array.
"""

from __future__ import annotations

import dataclasses
import operator
from typing import Any, Callable, Sequence

import numpy as np

from ..errors import StagingError
from . import builder, pytree
from . import types as T
from .core import Graph, Literal, Value
from .ops import registry

#: NumPy function -> implementation on Tensors, filled by the op families (`implements`).
NUMPY_FUNCTIONS: dict[Callable, Callable] = {}


def implements(*numpy_functions: Callable):
    """Register the decorated function as flowjit's implementation of NumPy functions."""

    def register(fn):
        for f in numpy_functions:
            NUMPY_FUNCTIONS[f] = fn
        return fn

    return register


_INT64_MIN, _INT64_MAX = np.iinfo(np.int64).min, np.iinfo(np.int64).max


def as_value(x: Any, what: str = "operand") -> Value:
    """The graph value for `x`: a Tensor's value, a literal for a scalar, a constant op for
    an array.

    Raises:
      TypeError: `x` is not a bool/int/float scalar or an array of a supported dtype.
      OverflowError: a Python int outside int64 (NumPy raises the same).
    """
    if isinstance(x, Tensor):
        return x.value
    if isinstance(x, (bool, int, float)) and not isinstance(x, np.generic):
        if isinstance(x, int) and not isinstance(x, bool) and not _INT64_MIN <= x <= _INT64_MAX:
            raise OverflowError(f"Python integer {x} out of bounds for int64")
        return Literal(x, T.type_of_python_scalar(x))
    if isinstance(x, np.generic):
        dtype = T.check_dtype(x.dtype, what)
        return Literal(x.item(), T.scalar(dtype))
    if isinstance(x, np.ndarray):
        T.check_dtype(x.dtype, what)
        if x.ndim == 0:
            return Literal(x.item(), T.scalar(x.dtype))
        return constant(x).value
    if isinstance(x, (list, tuple)):
        return as_value(np.asarray(x), what)
    raise TypeError(f"{what} of type {type(x).__name__} cannot be used in a compiled "
                    f"function; pass a NumPy array or a bool/int/float scalar.")


def constant(array: np.ndarray) -> "Tensor":
    """A `constant` op holding a copy of `array`."""
    array = np.array(array, copy=True)
    array.flags.writeable = False
    op = builder.emit(registry.get("constant"), (), {"value": array})
    return Tensor(op.result)


def apply(name: str, *operands, **attrs) -> "Tensor | tuple[Tensor, ...]":
    """Emit op `name` on `operands` (Tensors, scalars or arrays) with `attrs`; return Tensors."""
    opdef = registry.get(name)
    values = [as_value(x) for x in operands]
    if attrs.get("python") and not all(v.type.weak for v in values):
        # Python's operator semantics only differ from NumPy's when every operand is a Python
        # scalar; otherwise the op is the plain ufunc.
        del attrs["python"]
    if opdef.ufunc is not None and name in _elementwise().UFUNCS:
        values = _elementwise().python_int_operands(name, values)
    op = builder.emit(opdef, values, attrs)
    results = tuple(Tensor(v) for v in op.results)
    return results[0] if len(results) == 1 else results


def _elementwise():
    from .ops import elementwise
    return elementwise


def _binary(name: str, reflected: bool = False):
    def method(self, other):
        if not _is_operand(other):
            return NotImplemented
        a, b = (other, self) if reflected else (self, other)
        return apply(name, a, b, python=True)

    method.__name__ = f"__{'r' if reflected else ''}{name}__"
    return method


def _unary(name: str):
    def method(self):
        return apply(name, self, python=True)

    method.__name__ = f"__{name}__"
    return method


def _is_operand(x) -> bool:
    return isinstance(x, (Tensor, bool, int, float, np.generic, np.ndarray))


class Tensor:
    """A traced NumPy value: dtype and shape are known, the data only at run time.

    Attributes:
      value: the current SSA `Value` (rebinds on `a[i] = v`).
    """

    __slots__ = ("value", "_depth", "__weakref__")
    __array_priority__ = 1000

    def __init__(self, value: Value):
        self.value = value
        self._depth = builder.depth()

    # -- static properties (known at trace time, as eagerly) ---------------------------------
    @property
    def type(self) -> T.TensorType:
        return self.value.type

    @property
    def dtype(self) -> np.dtype:
        return self.value.type.dtype

    @property
    def shape(self) -> tuple:
        return self.value.type.shape

    @property
    def ndim(self) -> int:
        return self.value.type.ndim

    @property
    def size(self):
        return self.value.type.size

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of unsized object")
        n = self.value.type.shape[0]
        if not isinstance(n, int):
            raise StagingError(f"len() of an array whose first dimension {n} is only known at "
                               f"run time; use `x.shape[0]` in a range instead.")
        return n

    def __repr__(self) -> str:
        return f"<Tensor {self.type}>"

    # -- Python conversions that need a concrete value ---------------------------------------
    def _concrete(self, what: str):
        raise StagingError(
            f"a traced value of type {self.type} is used as a Python {what}, which needs its "
            f"value at trace time. Inside fj.function, write `if`/`while` on it directly (they "
            f"are converted to graph ops), or make the argument static with "
            f"static_argnames=...")

    def __bool__(self):
        self._concrete("bool")

    def __int__(self):
        self._concrete("int")

    def __float__(self):
        self._concrete("float")

    def __index__(self):
        self._concrete("index")

    def __iter__(self):
        raise StagingError(f"iterating over a traced array of type {self.type} in unconverted "
                           f"code; use `for row in x` inside the fj.function (AutoGraph "
                           f"converts it), or index with `range(x.shape[0])`.")

    __hash__ = object.__hash__

    # -- operators ---------------------------------------------------------------------------
    __add__, __radd__ = _binary("add"), _binary("add", True)
    __sub__, __rsub__ = _binary("subtract"), _binary("subtract", True)
    __mul__, __rmul__ = _binary("multiply"), _binary("multiply", True)
    __truediv__, __rtruediv__ = _binary("true_divide"), _binary("true_divide", True)
    __floordiv__, __rfloordiv__ = _binary("floor_divide"), _binary("floor_divide", True)
    __mod__, __rmod__ = _binary("remainder"), _binary("remainder", True)
    __pow__, __rpow__ = _binary("power"), _binary("power", True)
    __and__, __rand__ = _binary("bitwise_and"), _binary("bitwise_and", True)
    __or__, __ror__ = _binary("bitwise_or"), _binary("bitwise_or", True)
    __xor__, __rxor__ = _binary("bitwise_xor"), _binary("bitwise_xor", True)
    __eq__, __ne__ = _binary("equal"), _binary("not_equal")
    __lt__, __le__ = _binary("less"), _binary("less_equal")
    __gt__, __ge__ = _binary("greater"), _binary("greater_equal")
    __neg__, __pos__ = _unary("negative"), _unary("positive")
    __abs__, __invert__ = _unary("absolute"), _unary("invert")

    def __matmul__(self, other):
        return np.matmul(self, other)

    def __rmatmul__(self, other):
        return np.matmul(other, self)

    def __divmod__(self, other):
        return self // other, self % other

    # -- NumPy protocols ---------------------------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        from .ops.elementwise import UFUNC_NAMES

        if method == "__call__" and ufunc in UFUNC_NAMES and not kwargs:
            return apply(UFUNC_NAMES[ufunc], *inputs)
        impl = NUMPY_FUNCTIONS.get((ufunc, method))
        if impl is not None:
            return impl(*inputs, **kwargs)
        suffix = "" if method == "__call__" else f".{method}"
        extra = f" with arguments {sorted(kwargs)}" if kwargs else ""
        raise NotImplementedError(f"flowjit does not support numpy.{ufunc.__name__}{suffix}"
                                  f"{extra} on traced values.")

    def __array_function__(self, func, types, args, kwargs):
        impl = NUMPY_FUNCTIONS.get(func)
        if impl is None:
            module = getattr(func, "__module__", "numpy") or "numpy"
            module = "numpy" if module.startswith("numpy._core") else module
            raise NotImplementedError(f"flowjit does not support {module}.{func.__name__} "
                                      f"on traced values.")
        return impl(*args, **kwargs)

    def __array__(self, dtype=None, copy=None):
        raise StagingError(f"a traced value of type {self.type} was converted to a NumPy array "
                           f"at trace time (e.g. by np.asarray or a function flowjit does not "
                           f"compile); its data only exists when the compiled code runs.")

    # -- methods forwarded to NumPy functions ------------------------------------------------
    def astype(self, dtype, copy=True):
        dt = T.check_dtype(dtype, "astype's dtype")
        if dt == self.dtype and not self.type.weak and not copy:
            return self
        return apply("astype", self, dtype=dt)

    def sum(self, axis=None, dtype=None, keepdims=False):
        return np.sum(self, axis=axis, dtype=dtype, keepdims=keepdims)

    def mean(self, axis=None, dtype=None, keepdims=False):
        return np.mean(self, axis=axis, dtype=dtype, keepdims=keepdims)

    def max(self, axis=None, keepdims=False):
        return np.max(self, axis=axis, keepdims=keepdims)

    def min(self, axis=None, keepdims=False):
        return np.min(self, axis=axis, keepdims=keepdims)

    # -- indexing ----------------------------------------------------------------------------
    def __getitem__(self, index):
        from .ops.indexing import getitem
        return getitem(self, index)

    def __setitem__(self, index, value):
        from .ops.indexing import setitem
        self.assign(setitem(self, index, value))

    def assign(self, new: "Tensor | Value") -> None:
        """Rebind this Tensor to `new` (an in-place update of the array it stands for).

        A Tensor created outside the region being traced is recorded in that region's journal,
        so that `cond`/`while_loop` can carry the update out of the region as an output.
        """
        new_value = new.value if isinstance(new, Tensor) else new
        if new_value.type != self.value.type:
            new_value = as_value(apply("astype", Tensor(new_value), dtype=self.dtype))
        if self._depth < builder.depth():
            frame = builder.current_frame()
            if not any(t is self for t, _ in frame.journal):
                frame.journal.append((self, self.value))
        self.value = new_value

    # -- methods added for NumPy coverage (issue 4) ------------------------------------------
    # Each forwards to the NumPy function registered in ir/ops/ (one definition per function).
    @property
    def shape(self) -> tuple:
        """As eagerly: a tuple of ints; a symbolic axis gives a traced weak int64 (`dim` op)."""
        from .ops.shape import dimension
        return tuple(d if isinstance(d, int) else dimension(self, i)
                     for i, d in enumerate(self.value.type.shape))

    @property
    def T(self):
        return np.transpose(self)

    def reshape(self, *shape, order="C", copy=None):
        from .ops.shape import reshape
        return reshape(self, *shape, order=order)

    def transpose(self, *axes):
        if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
            axes = axes[0]
        return np.transpose(self, axes or None)

    def swapaxes(self, axis1, axis2):
        return np.swapaxes(self, axis1, axis2)

    def ravel(self, order="C"):
        return np.ravel(self, order)

    def flatten(self, order="C"):
        from .ops.shape import flatten
        return flatten(self, order)

    def squeeze(self, axis=None):
        return np.squeeze(self, axis)

    def copy(self, order="C"):
        return np.copy(self)

    def prod(self, axis=None, dtype=None, out=None, keepdims=False):
        return np.prod(self, axis=axis, dtype=dtype, out=out, keepdims=keepdims)

    def var(self, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
        return np.var(self, axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims)

    def std(self, axis=None, dtype=None, out=None, ddof=0, keepdims=False):
        return np.std(self, axis=axis, dtype=dtype, out=out, ddof=ddof, keepdims=keepdims)

    def argmax(self, axis=None, out=None, *, keepdims=False):
        return np.argmax(self, axis=axis, out=out, keepdims=keepdims)

    def argmin(self, axis=None, out=None, *, keepdims=False):
        return np.argmin(self, axis=axis, out=out, keepdims=keepdims)

    def any(self, axis=None, out=None, keepdims=False):
        return np.any(self, axis=axis, out=out, keepdims=keepdims)

    def all(self, axis=None, out=None, keepdims=False):
        return np.all(self, axis=axis, out=out, keepdims=keepdims)

    def cumsum(self, axis=None, dtype=None, out=None):
        return np.cumsum(self, axis=axis, dtype=dtype, out=out)

    def cumprod(self, axis=None, dtype=None, out=None):
        return np.cumprod(self, axis=axis, dtype=dtype, out=out)

    def clip(self, min=None, max=None, out=None):
        return np.clip(self, min, max, out=out)

    def round(self, decimals=0, out=None):
        return np.round(self, decimals, out)

    def dot(self, b, out=None):
        return np.dot(self, b, out=out)

    def take(self, indices, axis=None):
        return np.take(self, indices, axis=axis)

    __lshift__, __rlshift__ = _binary("left_shift"), _binary("left_shift", True)
    __rshift__, __rrshift__ = _binary("right_shift"), _binary("right_shift", True)
    # -- end of methods added for NumPy coverage (issue 4) -----------------------------------


def to_predicate(x) -> Tensor | bool:
    """NumPy truthiness of `x` as a 0-d bool Tensor (or a Python bool for a Python value).

    Raises:
      ValueError: NumPy's message for an array of more than one element, or an empty array.
    """
    if not isinstance(x, Tensor):
        return bool(x)
    if x.size is not None and x.size != 1:
        raise ValueError("The truth value of an empty array is ambiguous. Use `array.size > 0` "
                         "to check that an array is not empty." if x.size == 0 else
                         "The truth value of an array with more than one element is ambiguous. "
                         "Use a.any() or a.all()")
    if x.ndim:
        x = x[(0,) * x.ndim]
    if x.dtype == T.BOOL:
        return x
    return apply("not_equal", x, 0)


@dataclasses.dataclass
class TraceResult:
    """What `trace` produced: the graph and how to map its outputs back to Python values.

    Attributes:
      graph: inputs = the traced argument leaves; outputs = the returned leaves, then the final
        values of the mutated inputs.
      out_treedef: rebuilds the returned structure from the first `num_outputs` outputs.
      mutated_inputs: indices of inputs whose final values follow the returned leaves.
    """

    graph: Graph
    out_treedef: pytree.TreeDef
    num_outputs: int
    mutated_inputs: tuple[int, ...]


def trace(fn: Callable, arg_types: Sequence[T.TensorType],
          build_args: Callable[[list[Tensor]], tuple[tuple, dict]], *, name: str,
          arg_names: Sequence[str] | None = None) -> TraceResult:
    """Run `fn` on Tensors of `arg_types` and record the ops it performs into a `Graph`.

    Args:
      fn: the (AutoGraph-converted) Python function.
      arg_types: one `TensorType` per traced argument leaf.
      build_args: places the Tensors into `fn`'s `(args, kwargs)` (the runtime bakes in static
        arguments there).
      name: the graph's name.
      arg_names: user-facing names of the leaves (printed as the graph's parameter names).

    Raises whatever `fn` raises while tracing (NumPy's exceptions for invalid operations,
    `StagingError` for what cannot be staged).
    """
    from .core import Region

    hints = list(arg_names) if arg_names else [None] * len(arg_types)
    with builder.region(arg_types, hints) as (body, args):
        inputs = [Tensor(a) for a in args]
        call_args, call_kwargs = build_args(inputs)
        result = fn(*call_args, **call_kwargs)
        leaves, treedef = pytree.flatten(result)
        outputs = [as_value(leaf, "return value") for leaf in leaves]
        mutated = tuple(i for i, (t, a) in enumerate(zip(inputs, args)) if t.value is not a)
        body.yields = tuple(outputs) + tuple(inputs[i].value for i in mutated)
    graph = Graph(name, Region(body.args, body.ops, body.yields))
    return TraceResult(graph, treedef, len(outputs), mutated)


# Importing the op families registers their ops and NumPy implementations.
from .ops import elementwise, creation, reduction, indexing, control_flow, effects  # noqa: E402,F401,E501
from .ops import shape, linalg  # noqa: E402,F401  (issue 4)
from .ops import lists  # noqa: E402,F401  (growable lists)
