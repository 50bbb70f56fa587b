"""Linear algebra: the `matmul` op (NumPy's gufunc `(n?,k),(k,m?)->(n?,m?)` with broadcast
batch dimensions), and `np.dot`, `np.outer`, `np.vdot`, `np.inner` as compositions of matmul,
reshape, transpose and multiply.

`matmul` attrs: `transpose_a`/`transpose_b` (an operand stands for its transpose; the
`matmul_transpose` pass), and `epilogue` (a `Kernel`, the `matmul_epilogue` pass): operands
are then `(a, b, *extras)` and the result is the kernel applied to `(a @ b, *extras)`
element by element, printed `matmul[epilogue=@fused_0]`.
"""

from __future__ import annotations

import math

import numpy as np

from .. import types as T
from ..tracing import NUMPY_FUNCTIONS, Tensor, apply, as_value, implements
from .registry import LINALG, OpDef, register

_SIGNATURE = "(n?,k),(k,m?)->(n?,m?)"


def _transposed(t: T.TensorType) -> T.TensorType:
    return t.with_(shape=tuple(reversed(t.shape)))


def _matmul_infer(types, attrs):
    kernel = attrs.get("epilogue")
    if kernel is not None:
        # A fused epilogue (`matmul_epilogue` pass): the kernel maps the product (its first
        # argument) and the extra operands to the result.
        product = _matmul_infer(types[:2], {k: v for k, v in attrs.items() if k != "epilogue"})
        args = [a.type for a in kernel.body.args]
        if args != list(product) + list(types[2:]):
            raise TypeError(f"matmul epilogue @{kernel.name} takes {args}, not the product "
                            f"{product[0]} and {list(types[2:])}")
        return tuple(v.type for v in kernel.body.yields)
    a, b = types
    # `transpose_a`/`transpose_b` (set by the `matmul_transpose` pass on 2-d operands): the
    # operand stands for its transpose, which BLAS reads in place (gemm's 'T').
    if attrs.get("transpose_a"):
        a = _transposed(a)
    if attrs.get("transpose_b"):
        b = _transposed(b)
    for i, t in enumerate((a, b)):
        if t.ndim == 0:
            raise ValueError(f"matmul: Input operand {i} does not have enough dimensions (has 0, "
                             f"gufunc core with signature {_SIGNATURE} requires 1)")
    a_shape = (1,) + tuple(a.shape) if a.ndim == 1 else tuple(a.shape)
    b_shape = tuple(b.shape) + (1,) if b.ndim == 1 else tuple(b.shape)
    k_a, k_b = a_shape[-1], b_shape[-2]
    if k_a != k_b:
        raise ValueError(f"matmul: Input operand 1 has a mismatch in its core dimension 0, with "
                         f"gufunc signature {_SIGNATURE} (size {k_b} is different from {k_a})")
    batch = T.broadcast_shapes(a_shape[:-2], b_shape[:-2])
    core = ((a_shape[-2],) if a.ndim > 1 else ()) + ((b_shape[-1],) if b.ndim > 1 else ())
    dtypes = T.ufunc_loop_dtypes(np.matmul, (a.with_(weak=False), b.with_(weak=False)))
    out = dtypes[-1]
    if out not in T.SUPPORTED_DTYPES:
        raise NotImplementedError(f"numpy.matmul of ({a.dtype}, {b.dtype}) gives {out}, which "
                                  f"flowjit does not compile")
    return (T.TensorType(out, batch + core),)


def _matmul_reference(a, b, transpose_a=False, transpose_b=False):
    return np.matmul(a.T if transpose_a else a, b.T if transpose_b else b)


def _matmul_interpret(interp, op, operands):
    """The product, then (attr `epilogue`) the fused kernel run on it and the extra operands,
    exactly as the `fusion` op it came from ran."""
    attrs = {k: v for k, v in op.attrs.items() if k != "epilogue"}
    with np.errstate(all="ignore"):
        product = _matmul_reference(*operands[:2], **attrs)
    kernel = op.attrs.get("epilogue")
    if kernel is None:
        return (product,)
    return interp.run_region(kernel.body, [product, *operands[2:]])


register(OpDef("matmul", _matmul_infer, _matmul_reference, LINALG,
               interpret=_matmul_interpret,
               doc="numpy.matmul / @ (batched; 1-d operands as vectors)"))


def _strong(x) -> Tensor:
    v = as_value(x)
    t = Tensor(v) if not isinstance(x, Tensor) else x
    return apply("astype", t, dtype=v.type.dtype) if v.type.weak else t


@implements(np.matmul)
def matmul(x1, x2, /, out=None, *, dtype=None, casting="same_kind", **kwargs):
    from .elementwise import write_out
    if kwargs or casting != "same_kind":
        raise NotImplementedError(f"flowjit does not support numpy.matmul with "
                                  f"{sorted(kwargs) or ['casting']}")
    a, b = _strong(x1), _strong(x2)
    if dtype is not None:
        dt = T.check_dtype(dtype)
        a, b = (x if x.dtype == dt else apply("astype", x, dtype=dt) for x in (a, b))
    return write_out(apply("matmul", a, b), out, "matmul")


NUMPY_FUNCTIONS[(np.matmul, "__call__")] = matmul  # np.matmul is a ufunc: __array_ufunc__


@implements(np.dot)
def dot(a, b, out=None):
    """`np.dot`: a product with a 0-d operand is `multiply` (with the scalar *strong*: Python
    scalars are weak only in ufuncs); up to 2-d it is matmul; beyond, a sum over the last axis
    of `a` and the second-to-last of `b` (matmul of reshaped operands)."""
    from .elementwise import write_out
    from .shape import moveaxis, reshape
    x, y = _strong(a), _strong(b)
    if x.ndim == 0 or y.ndim == 0:
        return write_out(apply("multiply", x, y), out, "dot")
    kx = x.type.shape[-1]
    ky_axis = 0 if y.ndim == 1 else y.ndim - 2
    ky = y.type.shape[ky_axis]
    if kx != ky:
        raise ValueError(f"shapes {tuple(x.type.shape)} and {tuple(y.type.shape)} not aligned: "
                         f"{kx} (dim {x.ndim - 1}) != {ky} (dim {ky_axis})")
    if x.ndim <= 2 and y.ndim <= 2:
        return write_out(apply("matmul", x, y), out, "dot")
    # dot(x, y)[i..., j..., m] = sum_k x[i..., k] * y[j..., k, m]
    lead_x = x.type.shape[:-1]
    yk = moveaxis(y, ky_axis, 0)
    rest_y = yk.type.shape[1:]
    def count(dims):
        return math.prod(dims) if all(isinstance(d, int) for d in dims) else -1

    x2 = reshape(x, (count(lead_x), kx)) if x.ndim != 1 else x
    y2 = reshape(yk, (ky, count(rest_y)))
    r = apply("matmul", x2, y2)
    return write_out(reshape(r, tuple(lead_x) + tuple(rest_y)), out, "dot")


@implements(np.outer)
def outer(a, b, out=None):
    """`np.outer(a, b)` = `multiply(a.ravel()[:, None], b.ravel()[None, :])`, as NumPy."""
    from .elementwise import write_out
    from .shape import ravel, reshape
    x, y = ravel(_strong(a)), ravel(_strong(b))
    return write_out(apply("multiply", reshape(x, (-1, 1)), reshape(y, (1, -1))), out, "outer")


@implements(np.inner)
def inner(a, b):
    """`np.inner`: the sum over the last axes (up to 2-d: matmul with `b` transposed)."""
    from .shape import transpose
    x, y = _strong(a), _strong(b)
    if x.ndim == 0 or y.ndim == 0:
        return apply("multiply", x, y)
    if x.type.shape[-1] != y.type.shape[-1]:
        raise ValueError("shapes {} and {} not aligned: {} (dim {}) != {} (dim {})".format(
            tuple(x.type.shape), tuple(y.type.shape), x.type.shape[-1], x.ndim - 1,
            y.type.shape[-1], y.ndim - 1))
    if y.ndim > 2 or x.ndim > 2:
        raise NotImplementedError("flowjit supports numpy.inner of arrays up to 2-d")
    return apply("matmul", x, transpose(y) if y.ndim == 2 else y)


@implements(np.vdot)
def vdot(a, b):
    """`np.vdot` of real arrays: the dot product of the flattened arrays."""
    from .shape import ravel
    x, y = ravel(_strong(a)), ravel(_strong(b))
    if x.type.shape != y.type.shape:
        raise ValueError("cannot reshape array of size {} into shape ({},)".format(
            y.type.shape[0], x.type.shape[0]))
    return apply("matmul", x, y)
