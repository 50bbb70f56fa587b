"""Differential checking for NumPy coverage: a compiled `fj.function` against the same function
run eagerly, with float results compared in ulps (tests/runtime/fj_differential.py compares
with a relative tolerance; transcendental functions need a few ulps instead).

Rules (API.md, "The one rule"): the same exception type where eager raises; otherwise the same
structure, dtypes, shapes and scalar kinds; ints and bools bit for bit; floats with NaN in the
same places, infinities equal, and finite values within `ulps` units in the last place (0 =
exactly, signed zeros included).
"""

from __future__ import annotations

import contextlib
import copy
import io
import warnings

import numpy as np
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import flowjit as fj
from flowjit.ir import pytree

DTYPES = [np.dtype(d) for d in (np.bool_, np.int32, np.int64, np.float32, np.float64)]

#: Modest example counts: every distinct signature costs a compile (~50-200 ms).
SETTINGS = settings(max_examples=12, deadline=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))


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


# -- value strategies ---------------------------------------------------------------------------

def specials(dtype) -> list:
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return [False, True]
    if dtype.kind == "i":
        info = np.iinfo(dtype)
        return [0, 1, -1, 2, -2, 3, 7, -7, info.min, info.max, info.min + 1, info.max - 1]
    fi = np.finfo(dtype)
    return [0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, np.nan, np.inf, -np.inf, fi.max, -fi.max,
            fi.tiny, fi.smallest_subnormal, 1e-3, 100.0]


def elements(dtype):
    """Values of `dtype`: NumPy's interesting ones (NaN, inf, -0.0, extremes) and ordinary
    ones."""
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return st.booleans()
    if dtype.kind == "i":
        info = np.iinfo(dtype)
        return st.one_of(st.sampled_from(specials(dtype)), st.integers(-100, 100),
                         st.integers(int(info.min), int(info.max)))
    width = 32 if dtype == np.float32 else 64
    return st.one_of(st.sampled_from(specials(dtype)),
                     st.floats(-10, 10, width=width),
                     st.floats(width=width, allow_nan=True, allow_infinity=True))


def arrays(dtype, shape):
    return hnp.arrays(np.dtype(dtype), shape, elements=elements(dtype))


def shapes(min_dims=1, max_dims=2, max_side=5, min_side=0):
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side,
                            max_side=max_side)
