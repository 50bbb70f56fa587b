"""Native trampolines: take Python objects, build the ABI's `void*` argument array, call the entry.

Getting a data pointer in Python costs ~0.7 us per array (`arr.ctypes.data`,
`arr.__array_interface__`), more than the rest of a call. A trampoline takes each argument as
the `PyObject*` itself (a ctypes `py_object`, ~free) and reads the data pointer in native code:
`PyArrayObject.data` is the first field after `PyObject_HEAD`, and a NumPy scalar or Python float
stores its value at the same place. Both layouts are *verified at import* against NumPy's own
answers; a type that fails the check is passed the slow, portable way instead.

    i32 @fj_tramp_k(ptr %a0, ..., ptr %out0, ..., ptr %dims, ptr %err)
        -> %args = [data(a0), ..., data(out0), ..., %dims]; ret entry(%args, %err)
"""

from __future__ import annotations

import ctypes
import itertools

import numpy as np

from . import jit

#: How a trampoline gets a leaf's data pointer.
MODE_ARRAY = "array"      # the PyObject is an ndarray: data = *(obj + ARRAY_DATA_OFFSET)
MODE_INLINE = "inline"    # a NumPy scalar or Python float: data = obj + INLINE_OFFSET[type]
MODE_POINTER = "pointer"  # the caller passes the data pointer as an int (portable fallback)

_HEAD = object.__basicsize__   # sizeof(PyObject_HEAD): 16 on a default CPython build


def _array_data_offset() -> int | None:
    probe = np.arange(3.0)
    for off in (_HEAD,):
        if ctypes.c_void_p.from_address(id(probe) + off).value == probe.ctypes.data:
            return off
    return None


def _inline_offset(value) -> int | None:
    # The value must be stored, in native byte order, right after the object header.
    expected = np.asarray(value).tobytes()
    if ctypes.string_at(id(value) + _HEAD, len(expected)) == expected:
        return _HEAD
    return None


ARRAY_DATA_OFFSET = _array_data_offset()

#: Types whose value can be read in place, and its offset; verified on distinctive samples.
INLINE_OFFSET: dict[type, int] = {
    t: off for t, sample in (
        (float, -1234.5678), (np.float64, np.float64(-2.5e-300)),
        (np.float32, np.float32(3.25e7)), (np.int64, np.int64(-(2 ** 62) + 12345)),
        (np.int32, np.int32(-2 ** 30 + 7)), (np.bool_, np.True_))
    if (off := _inline_offset(sample)) is not None}

_names = itertools.count()
_cache: dict[tuple, "ctypes._CFuncPtr"] = {}


def array_mode() -> str:
    """The mode for ndarrays: native read if the layout was verified, else the pointer."""
    return MODE_ARRAY if ARRAY_DATA_OFFSET is not None else MODE_POINTER


def _build_ir(name: str, entry: int, modes: tuple[str, ...], with_dims: bool) -> str:
    triple, layout = jit.triple_and_layout()
    n = len(modes) + 1   # data pointers, then the dims pointer
    lines = [f'target triple = "{triple}"', f'target datalayout = "{layout}"', "",
             f"define i32 @{name}(" + ", ".join(f"ptr %a{i}" for i in range(len(modes)))
             + (", " if modes else "") + ("ptr %dims, " if with_dims else "")
             + "ptr %err) nounwind {",
             f"  %args = alloca [{n} x ptr], align 8"]
    for i, mode in enumerate(modes):
        if mode == MODE_ARRAY:
            lines += [f"  %f{i} = getelementptr inbounds i8, ptr %a{i}, i64 {ARRAY_DATA_OFFSET}",
                      f"  %d{i} = load ptr, ptr %f{i}, align 8"]
        elif mode == MODE_INLINE:
            lines += [f"  %d{i} = getelementptr inbounds i8, ptr %a{i}, i64 {_HEAD}"]
        else:
            lines += [f"  %d{i} = getelementptr inbounds i8, ptr %a{i}, i64 0"]
        lines += [f"  %s{i} = getelementptr inbounds ptr, ptr %args, i64 {i}",
                  f"  store ptr %d{i}, ptr %s{i}, align 8"]
    k = len(modes)
    lines += [f"  %sd = getelementptr inbounds ptr, ptr %args, i64 {k}",
              f"  store ptr {'%dims' if with_dims else 'null'}, ptr %sd, align 8",
              # The entry's address is a constant: no symbol lookup, no relocation.
              f"  %fn = inttoptr i64 {entry} to ptr",
              "  %r = call i32 %fn(ptr %args, ptr %err)",
              "  ret i32 %r", "}"]
    return "\n".join(lines) + "\n"


def trampoline(entry: int, modes: tuple[str, ...], with_dims: bool = True):
    """A ctypes function `(obj_or_ptr..., dims_ptr, err_ptr) -> int status` calling the ABI
    entry point at address `entry` with the data pointers of the leaves (inputs then outputs),
    each got as `modes[i]` says. Cached per `(entry, modes, with_dims)`. Without `with_dims`
    (a graph with no symbolic dimensions) the dims pointer is not an argument: it is null.

    The ctypes type is a `CFUNCTYPE`, so the GIL is released while native code runs; the
    objects stay alive because the caller's frame holds them.
    """
    key = (entry, modes, with_dims)
    fn = _cache.get(key)
    if fn is None:
        with jit.COMPILE_LOCK:
            fn = _cache.get(key)
            if fn is None:
                name = f"fj_tramp_{next(_names)}"
                addr = jit.load_ir(_build_ir(name, entry, modes, with_dims), name)
                argtypes = [ctypes.c_void_p if m == MODE_POINTER else ctypes.py_object
                            for m in modes] + [ctypes.c_void_p] * (2 if with_dims else 1)
                fn = ctypes.CFUNCTYPE(ctypes.c_int32, *argtypes)(addr)
                _cache[key] = fn
    return fn
