"""`cache=True`: object code on disk, so a new process skips LLVM code generation.

Key (Numba's index + magic tuple): the function's source, the signature, flowjit's version, the
target `(triple, cpu, features)`, the codegen options, and the optimized graph's text plus the
bytes of its constants. The graph is traced anyway (it is `ConcreteFunction.graph`), and keying on
it makes a cache entry stale whenever anything the function calls changes, not only its source.
"""

from __future__ import annotations

import hashlib
import inspect
import os
import pickle
import tempfile
import types

from .. import __version__, config
from . import jit

#: In-process memo: key -> entry address, so one object is never loaded into the engine twice.
_loaded: dict[str, int] = {}


def _constants_digest(graph) -> bytes:
    h = hashlib.sha256()
    regions = [graph.body] + [k.body for k in graph.kernels.values()]
    for region in regions:
        for op in region.walk():
            for name, value in sorted(op.attrs.items()):
                if hasattr(value, "tobytes"):
                    h.update(name.encode() + value.tobytes())
    return h.digest()


class Store:
    """The cache entry of one (function, signature); `load` on a hit, `save` after compiling."""

    def __init__(self, fn, sig):
        try:
            source = inspect.getsource(fn)
        except (OSError, TypeError):
            source = getattr(fn, "__qualname__", repr(fn))
        self._parts = [__version__, repr(jit.MAGIC), source, str(sig),
                       getattr(fn, "__module__", ""), getattr(fn, "__qualname__", "")]
        self._name = getattr(fn, "__name__", "function")

    def _key(self, graph, options=()) -> str:
        h = hashlib.sha256()
        for part in self._parts + [str(graph), repr(options)]:
            h.update(part.encode() + b"\0")
        h.update(_constants_digest(graph))
        return h.hexdigest()[:32]

    def _path(self, key: str) -> str:
        return os.path.join(config.cache_dir(), f"{self._name}-{key}.fjc")

    def load(self, graph, options=()):
        """`(compiled metadata, entry address)` on a hit, else None (and remember the key)."""
        self._current = key = self._key(graph, options)
        if key in _loaded:
            return _loaded[key]
        try:
            with open(self._path(key), "rb") as f:
                payload = pickle.load(f)
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError):
            return None
        try:
            meta = types.SimpleNamespace(**payload["meta"])
            entry = jit.load_object(payload["object"], meta.entry_name)
        except Exception:    # a damaged or foreign entry: compile afresh (and overwrite it)
            return None
        _loaded[key] = (meta, entry)
        return meta, entry

    def entry_name(self) -> str:
        """A symbol name unique to this entry (object files from other processes must not
        clash with this process's fresh entry names)."""
        return f"fj_cached_{self._current}"

    def save(self, compiled, obj: bytes, entry_name: str, entry: int) -> None:
        """Write the object code and what the runtime needs besides it (atomic rename)."""
        if not obj:
            return
        meta = {k: getattr(compiled, k, None) for k in
                ("entry_name", "llvm_ir", "asm", "dims", "print_sites", "assert_messages")}
        meta["entry_name"] = entry_name
        _loaded[self._current] = (types.SimpleNamespace(**meta), entry)
        try:
            data = pickle.dumps({"meta": meta, "object": obj})
        except Exception:   # an unpicklable print template: this entry is just not cached
            return
        directory = config.cache_dir()
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, self._path(self._current))
