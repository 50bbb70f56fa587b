"""The differential check every suite uses: a compiled `fj.function` against the same function
run eagerly by Python + NumPy (API.md, "The one rule").

Rules: the same exception type where eager raises; otherwise the same structure, dtypes,
shapes and scalar kinds; ints and bools bit for bit; floats with NaN in the same places,
infinities equal, and finite values within `ulps` units in the last place (0, the default,
means bit for bit, signed zeros included; `atol` additionally accepts tiny absolute
differences); the same printed text; the arguments equal afterwards (in-place updates).
"""

from __future__ import annotations

import contextlib
import copy
import io
import warnings

import numpy as np

import flowjit as fj
from flowjit.ir import pytree


def _run(fn, args, kwargs):
    out = io.StringIO()
    with contextlib.redirect_stdout(out), warnings.catch_warnings(), \
            np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            return ("ok", fn(*args, **kwargs)), out.getvalue()
        except Exception as e:  # noqa: BLE001 - compared by type
            return ("raise", e), out.getvalue()


def ulp_distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The number of representable floats between `a` and `b` (elementwise, finite values;
    -0.0 and 0.0 are 0 apart)."""
    a, b = np.asarray(a), np.asarray(b)
    ity = {4: np.int32, 8: np.int64}[a.dtype.itemsize]

    def ordered(x):
        i = x.view(ity).astype(np.int64)
        return np.where(i < 0, np.iinfo(ity).min - i, i)

    return np.abs(ordered(a) - ordered(b))


def assert_close_floats(got, want, where, ulps=0, atol=0.0):
    got, want = np.asarray(got), np.asarray(want)
    nan_g, nan_w = np.isnan(got), np.isnan(want)
    assert np.array_equal(nan_g, nan_w), f"{where}: NaN at other places\n{got!r}\n{want!r}"
    g, w = got[~nan_w], want[~nan_w]
    inf = np.isinf(w) | np.isinf(g)
    assert np.array_equal(g[inf], w[inf]), f"{where}: infinities differ\n{got!r}\n{want!r}"
    g, w = g[~inf], w[~inf]
    if ulps == 0 and atol == 0:
        same = (g.view(np.uint8) == w.view(np.uint8)).all() if g.size else True
        assert same, f"{where}: not bit-identical\n{got!r}\n{want!r}"
        return
    d = ulp_distance(g, w)
    bad = (d > ulps) & (np.abs(g.astype(np.float64) - w.astype(np.float64)) > atol)
    assert not bad.any(), (f"{where}: {int(d[bad].max())} ulps apart (allowed {ulps}): got "
                           f"{g[bad][:5]!r}, eager {w[bad][:5]!r}")


def assert_same_value(got, want, path="result", ulps=0, atol=0.0):
    """Same structure, and per leaf the same dtype, shape, scalar kind and value."""
    gl, gt = pytree.flatten(got)
    wl, wt = pytree.flatten(want)
    assert gt == wt, f"{path}: structure {gt} != eager {wt}"
    for i, (g, w) in enumerate(zip(gl, wl)):
        where = f"{path} leaf {i}"
        gd, wd = np.asarray(g).dtype, np.asarray(w).dtype
        assert gd == wd, f"{where}: dtype {gd} != eager {wd}"
        assert np.shape(g) == np.shape(w), f"{where}: shape {np.shape(g)} != {np.shape(w)}"
        kind = lambda v: "array" if isinstance(v, np.ndarray) else (  # noqa: E731
            "scalar" if isinstance(v, (np.generic, bool, int, float)) else type(v).__name__)
        assert kind(g) == kind(w), f"{where}: {kind(g)} != eager {kind(w)}"
        if wd.kind == "f":
            leaf_ulps = ulps.get(i, 0) if isinstance(ulps, dict) else ulps
            assert_close_floats(g, w, where, leaf_ulps, atol)
        else:
            np.testing.assert_array_equal(g, w, err_msg=where)


def assert_same_as_eager(fn, *args, compiled=None, fj_kwargs=None, ulps=0, atol=0.0,
                         **kwargs):
    """Run `fn` eagerly and compiled on copies of the arguments; compare results (see the
    module docstring), exception types, printed text and the arguments afterwards. Returns
    the compiled `Function` (pass it back as `compiled=` to reuse its traces)."""
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
        assert_same_value(cvalue, evalue, ulps=ulps, atol=atol)
        assert_same_value((comp_args, comp_kwargs), (eager_args, eager_kwargs), "arguments")
    assert cout == eout, f"printed text differs:\ncompiled: {cout!r}\neager:    {eout!r}"
    return compiled
