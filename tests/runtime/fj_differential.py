"""Differential checking: a compiled function against the same function run eagerly."""

import contextlib
import copy
import io

import numpy as np

import flowjit as fj
from flowjit.ir import pytree


def _run(fn, args, kwargs):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            return ("ok", fn(*args, **kwargs)), out.getvalue()
        except Exception as e:  # noqa: BLE001 - compared by type
            return ("raise", e), out.getvalue()


def assert_same_value(got, want, path="result", rtol=1e-12):
    """Same structure, and per leaf the same value, dtype, shape and scalar kind."""
    gl, gt = pytree.flatten(got)
    wl, wt = pytree.flatten(want)
    assert gt == wt, f"{path}: structure {gt} != eager {wt}"
    for i, (g, w) in enumerate(zip(gl, wl)):
        where = f"{path} leaf {i}"
        assert np.asarray(g).dtype == np.asarray(w).dtype, \
            f"{where}: dtype {np.asarray(g).dtype} != eager {np.asarray(w).dtype}"
        assert np.shape(g) == np.shape(w), f"{where}: shape {np.shape(g)} != {np.shape(w)}"
        # An array stays an array; a 0-d result is a NumPy scalar (API.md), also where the eager
        # value is a Python scalar (whose dtype, compared above, is NumPy's for it).
        kind = lambda v: "array" if isinstance(v, np.ndarray) else (  # noqa: E731
            "scalar" if isinstance(v, (np.generic, bool, int, float)) else type(v).__name__)
        assert kind(g) == kind(w), f"{where}: {kind(g)} != eager {kind(w)}"
        if np.asarray(w).dtype.kind == "f":
            np.testing.assert_allclose(g, w, rtol=rtol, atol=0, equal_nan=True, err_msg=where)
        else:
            np.testing.assert_array_equal(g, w, err_msg=where)


def assert_same_as_eager(fn, *args, fj_kwargs=None, compiled=None, **kwargs):
    """Run `fn` eagerly and compiled on (deep copies of) the arguments; compare the results,
    exception types, printed text and the arguments afterwards (mutation). Returns the
    compiled `Function` so callers can inspect it."""
    compiled = compiled or fj.function(fn, **(fj_kwargs or {}))
    eager_args, eager_kwargs = copy.deepcopy((args, kwargs))
    comp_args, comp_kwargs = copy.deepcopy((args, kwargs))
    (ekind, evalue), eout = _run(fn, eager_args, eager_kwargs)
    (ckind, cvalue), cout = _run(compiled, comp_args, comp_kwargs)
    if ekind == "raise":
        assert ckind == "raise", f"eager raised {evalue!r}, compiled returned {cvalue!r}"
        assert type(cvalue) is type(evalue), f"compiled raised {cvalue!r}, eager {evalue!r}"
    else:
        assert ckind == "ok", f"compiled raised {cvalue!r}, eager returned {evalue!r}"
        assert_same_value(cvalue, evalue)
        assert_same_value((comp_args, comp_kwargs), (eager_args, eager_kwargs), "arguments")
    assert cout == eout, f"printed text differs:\ncompiled: {cout!r}\neager:    {eout!r}"
    return compiled
