"""Vectorizable elementary functions: branch-free LLVM IR emitted inline into scalar rules.

Every function here is straight-line IR (range reduction, a polynomial evaluated with explicit
`llvm.fma` calls where the design uses one, `select`s for NaN, +-inf, +-0, overflow, underflow
and subnormals), so LLVM's loop vectorizer turns an elementwise loop that calls them into
packed AVX/AVX-512 code with no libm calls. No fast-math flag is ever set: `llvm.fma` is
exactly rounded and deterministic, and plain `fadd`/`fmul` without `contract` are never fused,
so results do not depend on what the optimizer decides (SEMANTICS.md traps 8, 19).

Designs (each function's docstring names its source):
- `exp`, `exp2`, `expm1`: Cody-Waite reduction x = j*ln2 + f (SLEEF `xexp`: the split
  constants L2U/L2L, the two-step `ldexp2k` scaling for subnormal/near-overflow results), a
  Taylor polynomial for expm1(f) of high enough degree that truncation is < 0.05 ulp, and the
  reconstruction 2^j * (1 + p) with one `fma` (ARM optimized-routines `expm1`:
  `fma(p, t, t - 1)`).
- `log`, `log2`, `log10`, `log1p`: fdlibm/musl `e_log.c`, `e_log2.c`, `e_log10.c`, `s_log1p.c`
  (reduction to [sqrt(2)/2, sqrt(2)), s = f/(2+f), the Lg1..Lg7 minimax polynomial; log2/log10
  keep hi/lo parts so they do not inherit log's rounding), with the branchy tiny/huge paths
  replaced by one formula plus selects; subnormal inputs are scaled by 2^54 first.
- `sin`, `cos`: musl `__rem_pio2` (the three-round Cody-Waite reduction with 33-bit pieces of
  pi/2, giving y0 + y1) and fdlibm's `__kernel_sin` / `__kernel_cos`; valid for
  |x| < 2^20 * pi/2. Beyond that the rule falls back to libm for the lanes that need it (a
  predicated, rarely taken call).
- `tanh`: musl `tanh.c` formulas (t = expm1(2|x|); t/(t+2) or 1 - 2/(t+2)) without branches.
- On AVX-512 hosts float64 `exp` scales by `llvm.ldexp` (`vscalefpd`, `_exp_ldexp`), and
  float32 `exp` and `tanh` are table-driven (codegen/lutmath.py).
- float32: `exp`, `exp2`, `log` run natively in float32 (SLEEF `xexpf` / musl `logf`
  designs, 16 lanes per zmm); the others are computed with the float64 algorithms and rounded
  once to float32 (an error of ~2^-40 relative before that rounding, so the float32 result is
  the correctly rounded one except in rare double-rounding ties: <= 1 ulp).
- `tanh` float32 runs natively too (`tanh_f32_native`: odd polynomial below 0.625, above it
  1 - 2/(e^2|x| + 1) with a TwoSum denominator and an fma-corrected quotient; < 1 ulp, checked
  over all float32 inputs), and float32 `x**3` (`cube_f32`: exact square as a float32 pair,
  one fma; correctly rounded for |x| >= 2^-26, faithful below), so gelu's whole chain runs
  16 lanes wide.
- `power` (float32 only): exp2(y * log2|x|) in float64 plus IEEE/C99 `pow` special cases.
  float64 `power` still calls libm `pow` (an accurate vector pow needs a double-double log;
  not done).
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import llvmlite.ir as ir

from . import target

F32, F64 = ir.FloatType(), ir.DoubleType()
I32, I64 = ir.IntType(32), ir.IntType(64)


def _taylor(n: int, scale: float = 1.0) -> list[float]:
    """Coefficients of sum_{k=0..n} (scale^k / k!) x^k, highest degree first."""
    return [scale ** k / math.factorial(k) for k in range(n, -1, -1)]


class Emitter:
    """Scalar float arithmetic of one type (`float` or `double`) on an IRBuilder; no
    fast-math flags, explicit `llvm.fma` only where asked."""

    def __init__(self, builder: ir.IRBuilder, ty: ir.Type):
        self.b = builder
        self.ty = ty
        self.f64 = isinstance(ty, ir.DoubleType)
        self.ity = I64 if self.f64 else I32
        self.mant = 52 if self.f64 else 23
        self.bias = 1023 if self.f64 else 127
        self.module = builder.block.function.module

    # -- constants and intrinsics --------------------------------------------------------------
    def c(self, v: float) -> ir.Constant:
        return ir.Constant(self.ty, float(v))

    def ci(self, v: int) -> ir.Constant:
        return ir.Constant(self.ity, int(v))

    def intrinsic(self, name: str, args: Sequence[ir.Value], ty: ir.Type | None = None):
        ty = ty or self.ty
        suffix = "f64" if isinstance(ty, ir.DoubleType) else "f32"
        full = f"llvm.{name}.{suffix}"
        fn = self.module.globals.get(full)
        if fn is None:
            fn = ir.Function(self.module, ir.FunctionType(ty, [ty] * len(args)), name=full)
        return self.b.call(fn, list(args))

    # -- float ops -----------------------------------------------------------------------------
    def add(self, a, b):
        return self.b.fadd(a, b)

    def sub(self, a, b):
        return self.b.fsub(a, b)

    def mul(self, a, b):
        return self.b.fmul(a, b)

    def div(self, a, b):
        return self.b.fdiv(a, b)

    def fma(self, a, b, c):
        return self.intrinsic("fma", [a, b, c])

    def ldexp(self, x, n):
        """x * 2^n for an i32 `n`, exactly rounded (`llvm.ldexp`)."""
        suffix = "f64" if self.f64 else "f32"
        full = f"llvm.ldexp.{suffix}.i32"
        fn = self.module.globals.get(full)
        if fn is None:
            fn = ir.Function(self.module, ir.FunctionType(self.ty, [self.ty, I32]), name=full)
        return self.b.call(fn, [x, n])

    def rint(self, x):
        return self.intrinsic("rint", [x])

    def fabs(self, x):
        return self.intrinsic("fabs", [x])

    def copysign(self, mag, sign):
        return self.intrinsic("copysign", [mag, sign])

    def sel(self, cond, a, b):
        return self.b.select(cond, a, b)

    def lt(self, a, b):
        return self.b.fcmp_ordered("<", a, b)

    def le(self, a, b):
        return self.b.fcmp_ordered("<=", a, b)

    def gt(self, a, b):
        return self.b.fcmp_ordered(">", a, b)

    def ge(self, a, b):
        return self.b.fcmp_ordered(">=", a, b)

    def eq(self, a, b):
        return self.b.fcmp_ordered("==", a, b)

    def ne(self, a, b):
        return self.b.fcmp_unordered("!=", a, b)

    def isnan(self, x):
        return self.b.fcmp_unordered("uno", x, x)

    def horner(self, x, coeffs: Sequence[float]):
        """sum coeffs[i] x^(n-i) with fma (highest degree first)."""
        acc = self.c(coeffs[0])
        for k in coeffs[1:]:
            acc = self.fma(acc, x, self.c(k))
        return acc

    # -- bits ----------------------------------------------------------------------------------
    def bits(self, x):
        return self.b.bitcast(x, self.ity)

    def from_bits(self, i):
        return self.b.bitcast(i, self.ty)

    def to_int(self, x):
        """fptosi of an integral float known to be in range."""
        return self.b.fptosi(x, self.ity)

    def to_float(self, i):
        return self.b.sitofp(i, self.ty)

    def pow2i(self, i):
        """2^i as a float for i (integer type) in the normal exponent range."""
        return self.from_bits(self.b.shl(self.b.add(i, self.ci(self.bias)), self.ci(self.mant)))

    def clamp(self, x, lo: float, hi: float):
        """min(max(x, lo), hi) with NaN mapped to 0 (so a following fptosi is never poison)."""
        x = self.sel(self.isnan(x), self.c(0.0), x)
        x = self.sel(self.lt(x, self.c(lo)), self.c(lo), x)
        return self.sel(self.gt(x, self.c(hi)), self.c(hi), x)


# -- exponentials -------------------------------------------------------------------------------

_LN2 = {
    # SLEEF's L2U/L2L (L2U has trailing zero bits, so j*L2U is exact for the j we use)
    True: (0.69314718055966295651160180568695068359375, 0.28235290563031577122588448175013436025525412068e-12),
    False: (0.693145751953125, 1.428606765330187045e-06),
}
_INV_LN2 = 1.442695040888963407359924681001892137426645954152985934135449406931


def _expm1_poly(e: Emitter, f):
    """p ~= expm1(f) for |f| <= ln2/2 (Taylor, truncation < 0.05 ulp): f + f^2 * P(f)."""
    n = 13 if e.f64 else 7
    tail = _taylor(n)[:-2]                      # 1/n! ... 1/2!
    return e.fma(e.mul(f, f), e.horner(f, tail), f)


def _reduce_exp(e: Emitter, x, lo: float, hi: float):
    """x = j*ln2 + f, |f| <= ln2/2 (x clamped to [lo, hi] first); returns (j as int, f)."""
    xc = e.clamp(x, lo, hi)
    j = e.rint(e.mul(xc, e.c(_INV_LN2)))
    l2u, l2l = _LN2[e.f64]
    f = e.fma(j, e.c(-l2u), xc)
    f = e.fma(j, e.c(-l2l), f)
    return e.to_int(j), f


def _scale(e: Emitter, one_plus_p, p, j):
    """2^j * (1 + p) for any j the reductions produce: one fma in the normal range, else
    SLEEF's two-step ldexp2k (exact up to the final rounding into subnormals/overflow)."""
    b = e.b
    lim = 1000 if e.f64 else 120
    jc = b.select(b.icmp_signed("<", j, e.ci(-lim)), e.ci(-lim),
                  b.select(b.icmp_signed(">", j, e.ci(lim)), e.ci(lim), j))
    t = e.pow2i(jc)
    normal = e.fma(p, t, t)
    half = b.ashr(j, e.ci(1))
    big = e.mul(e.mul(one_plus_p, e.pow2i(half)), e.pow2i(b.sub(j, half)))
    in_range = b.icmp_unsigned("==", jc, j)
    return e.sel(in_range, normal, big)


def exp(e: Emitter, x):
    """e^x. SLEEF `xexp`/`xexpf` reduction and scaling; Taylor expm1 kernel; <= 1 ulp."""
    if target.HAS_AVX512F:
        return _exp_ldexp(e, x)
    if e.f64:
        lo, hi, over, under = -1100.0, 1100.0, 709.782712893384, -745.1332191019412
    else:
        lo, hi, over, under = -110.0, 110.0, 88.72283935546875, -103.97208404541016
    j, f = _reduce_exp(e, x, lo, hi)
    p = _expm1_poly(e, f)
    r = _scale(e, e.add(p, e.c(1.0)), p, j)
    r = e.sel(e.gt(x, e.c(over)), e.c(math.inf), r)
    r = e.sel(e.lt(x, e.c(under)), e.c(0.0), r)
    return e.sel(e.isnan(x), x, r)


def _exp_ldexp(e: Emitter, x):
    """`exp` for hosts with an exact vector ldexp (AVX-512 `vscalefps/pd`): the same
    reduction and polynomial, and 2^j (1 + p) as `llvm.ldexp(1 + p, j)`, which scales exactly
    and rounds once into subnormals or to inf, so `_scale`'s two paths and the overflow and
    underflow selects are not needed (same results: 2^j * RN(1 + p) == RN(2^j (1 + p)) in the
    normal range). j comes from the round-to-nearest-even magic-number addition (the same j
    as `rint`), whose bits give the integer with no float-to-int conversion, so a NaN input
    flows through as NaN with no selects at all."""
    lo, hi = (-1100.0, 1100.0) if e.f64 else (-110.0, 110.0)
    xc = e.sel(e.lt(x, e.c(lo)), e.c(lo), x)                 # NaN compares false: stays NaN
    xc = e.sel(e.gt(xc, e.c(hi)), e.c(hi), xc)
    magic = e.c(1.5 * 2.0 ** e.mant)
    t = e.add(e.mul(xc, e.c(_INV_LN2)), magic)
    jf = e.sub(t, magic)
    j = e.b.sub(e.bits(t), e.bits(magic))
    if e.f64:
        j = e.b.trunc(j, I32)
    l2u, l2l = _LN2[e.f64]
    f = e.fma(jf, e.c(-l2u), xc)
    f = e.fma(jf, e.c(-l2l), f)
    p = _expm1_poly(e, f)
    return e.ldexp(e.add(p, e.c(1.0)), j)


def exp2(e: Emitter, x):
    """2^x: j = rint(x), f = x - j (exact), 2^f - 1 by its Taylor series in f*ln2; <= 1 ulp."""
    if e.f64:
        lo, hi, n = -1100.0, 1100.0, 13
    else:
        lo, hi, n = -160.0, 160.0, 7
    xc = e.clamp(x, lo, hi)
    jf = e.rint(xc)
    f = e.sub(xc, jf)
    coeffs = _taylor(n, math.log(2.0))[:-1]     # ln2^n/n! ... ln2
    p = e.mul(f, e.horner(f, coeffs))
    r = _scale(e, e.add(p, e.c(1.0)), p, e.to_int(jf))
    over = 1024.0 if e.f64 else 128.0
    under = -1075.0 if e.f64 else -150.0
    r = e.sel(e.ge(x, e.c(over)), e.c(math.inf), r)
    r = e.sel(e.le(x, e.c(under)), e.c(0.0), r)
    return e.sel(e.isnan(x), x, r)


def expm1(e: Emitter, x):
    """e^x - 1 (float64): ARM optimized-routines `expm1` reconstruction fma(p, t, t - 1) with
    t = 2^j (t - 1 is exact for the j that matter); x > 709.78 -> inf, x < -60 -> -1."""
    assert e.f64
    j, f = _reduce_exp(e, x, -60.0, 709.8)
    p = _expm1_poly(e, f)
    b = e.b
    top = b.icmp_signed(">", j, e.ci(1023))                 # j == 1024 only near overflow
    jc = b.select(top, e.ci(1023), j)                       # j in [-87, 1024]
    t = e.pow2i(jc)
    r = e.fma(p, t, e.sub(t, e.c(1.0)))
    r = e.sel(top, e.mul(e.fma(p, t, t), e.c(2.0)), r)      # 2^1024 (1+p); -1 is negligible
    r = e.sel(e.gt(x, e.c(709.782712893384)), e.c(math.inf), r)
    r = e.sel(e.lt(x, e.c(-60.0)), e.c(-1.0), r)
    r = e.sel(e.lt(e.fabs(x), e.c(2.0 ** -54)), x, r)      # keeps -0.0 and subnormals
    return e.sel(e.isnan(x), x, r)


def _two_sum(e: Emitter, a, b):
    """Knuth's TwoSum: s + err == a + b exactly."""
    s = e.add(a, b)
    bb = e.sub(s, a)
    err = e.add(e.sub(a, e.sub(s, bb)), e.sub(b, bb))
    return s, err


def tanh(e: Emitter, x):
    """tanh (float64): with t = expm1(2|x|) (musl `tanh.c`), tanh|x| = t/(t+2) for every
    |x| (no cancellation: t >= 0); the sum and the quotient are corrected with TwoSum and an
    fma residual so only t's error and one final rounding remain. |x| > 22 -> +-1."""
    assert e.f64
    a = e.fabs(x)
    t = expm1(e, e.add(a, a))
    d, d_err = _two_sum(e, t, e.c(2.0))
    q = e.div(t, d)
    rem = e.sub(e.fma(e.b.fneg(q), d, t), e.mul(q, d_err))   # t - q*(d + d_err)
    r = e.add(q, e.div(rem, d))
    r = e.sel(e.gt(a, e.c(22.0)), e.c(1.0), r)
    r = e.copysign(r, x)
    return e.sel(e.isnan(x), x, r)


def tanh_f32(e: Emitter, x):
    """tanh for float32, evaluated in float64 (`e`) and rounded once: t = expm1(2|x|) with a
    degree-9 Taylor kernel (error ~2^-40), tanh|x| = t/(t+2) (no cancellation); |x| >= 9.1
    rounds to +-1 in float32. Returns a float64 the caller truncates."""
    assert e.f64
    a = e.fabs(x)
    a2 = e.add(a, a)
    a2 = e.sel(e.lt(a2, e.c(20.0)), a2, e.c(20.0))         # also maps NaN to 20 (fixed below)
    j = e.rint(e.mul(a2, e.c(_INV_LN2)))
    f = e.fma(j, e.c(-math.log(2.0)), a2)
    p = e.fma(e.mul(f, f), e.horner(f, _taylor(9)[:-2]), f)
    t = e.pow2i(e.to_int(j))
    em1 = e.fma(p, t, e.sub(t, e.c(1.0)))
    r = e.copysign(e.div(em1, e.add(em1, e.c(2.0))), x)
    return e.sel(e.isnan(x), x, r)


#: tanh(x) = x + x*s*P(s), s = x^2, |x| < 0.625: minimax (relative) fit of P, float32 coefficients
#: (fit error + coefficient rounding < 0.08 ulp of tanh over the range).
_TANH_P32 = (0.0022928302641958, -0.008344029076397419, 0.021768948063254356,
             -0.05395926535129547, 0.13333304226398468, -0.3333333432674408)


def tanh_f32_native(e: Emitter, x):
    """tanh in float32 lanes (16 per zmm), < 1 ulp: |x| < 0.625 -> odd polynomial
    fma(x, s*P(s), x); else tanh|x| = 1 - 2/(E+1) with E = e^(2|x|) = 2^j (1 + p) (SLEEF `xexpf`
    reduction, Taylor expm1 kernel), the denominator kept exact as a TwoSum pair (2^j + 1) +
    2^j p, the quotient corrected by its fma residual, and 1 - q by Fast2Sum, so only p's error
    (~0.3 ulp of the result) and one final rounding remain. |x| > 9.1 -> +-1 (tanh rounds to 1
    beyond 9.01); NaN -> NaN; +-0 and tiny x -> x."""
    assert not e.f64
    b = e.b
    a = e.fabs(x)
    # small range: the polynomial (also exact for tiny/subnormal x: s*P underflows to 0)
    s = e.mul(x, x)
    small = e.fma(x, e.mul(s, e.horner(s, _TANH_P32)), x)
    # large range
    a2 = e.add(a, a)
    a2 = e.sel(e.lt(a2, e.c(20.0)), a2, e.c(20.0))          # also maps NaN to 20 (fixed below)
    j = e.rint(e.mul(a2, e.c(_INV_LN2)))
    l2u, l2l = _LN2[False]
    f = e.fma(j, e.c(-l2u), a2)
    f = e.fma(j, e.c(-l2l), f)
    p = _expm1_poly(e, f)
    t = e.pow2i(e.to_int(j))
    one, two = e.c(1.0), e.c(2.0)
    u, u_err = _two_sum(e, e.add(t, one), e.mul(t, p))       # E + 1 == u + u_err (j <= 23)
    q = e.div(two, u)
    rem = e.sub(e.fma(b.fneg(q), u, two), e.mul(q, u_err))  # 2 - q*(u + u_err)
    q_lo = e.mul(rem, e.mul(q, e.c(0.5)))                    # rem / u, 1/u ~= q/2
    hi = e.sub(one, q)
    hi_err = e.sub(e.sub(one, hi), q)                        # Fast2Sum: 1 - q == hi + hi_err
    large = e.add(hi, e.sub(hi_err, q_lo))
    large = e.sel(e.gt(a, e.c(9.1)), one, large)
    r = e.copysign(e.sel(e.lt(a, e.c(0.625)), small, large), x)   # fma gives +0 for -0
    return e.sel(e.isnan(x), x, r)


# -- logarithms ---------------------------------------------------------------------------------

_LG64 = (6.666666666666735130e-01, 3.999999999940941908e-01, 2.857142874366239149e-01,
         2.222219843214978396e-01, 1.818357216161805012e-01, 1.531383769920937332e-01,
         1.479819860511658591e-01)
_LN2_HI64, _LN2_LO64 = 6.93147180369123816490e-01, 1.90821492927058770002e-10
_LG32 = (0.66666662693, 0.40000972152, 0.28498786688, 0.24279078841)
_LN2_HI32, _LN2_LO32 = 6.9313812256e-01, 9.0580006145e-06


def _log_reduce(e: Emitter, x):
    """x = 2^k * z, z in [sqrt(2)/2, sqrt(2)); subnormals pre-scaled by 2^54 (or 2^25).
    Returns (k as float, f = z - 1 exact)."""
    b = e.b
    tiny = e.lt(x, e.c(2.0 ** (-1022 if e.f64 else -126)))
    scale_bits = 54 if e.f64 else 25
    xs = e.sel(tiny, e.mul(x, e.c(2.0 ** scale_bits)), x)
    ix = e.bits(xs)
    off = 0x3FE6A09E667F3BCD if e.f64 else 0x3F3504F3          # bits of sqrt(2)/2
    tmp = b.sub(ix, e.ci(off))
    k = b.ashr(tmp, e.ci(e.mant))
    iz = b.sub(ix, b.shl(k, e.ci(e.mant)))
    z = e.from_bits(iz)
    kf = e.to_float(k)
    kf = e.sel(tiny, e.sub(kf, e.c(scale_bits)), kf)
    return kf, e.sub(z, e.c(1.0))


def _log_parts(e: Emitter, f):
    """fdlibm: with s = f/(2+f), returns (hfsq, s*(hfsq+R)) so log(1+f) ~= f - hfsq + that."""
    s = e.div(f, e.add(e.c(2.0), f))
    z = e.mul(s, s)
    w = e.mul(z, z)
    if e.f64:
        lg1, lg2, lg3, lg4, lg5, lg6, lg7 = _LG64
        t1 = e.mul(w, e.add(e.c(lg2), e.mul(w, e.add(e.c(lg4), e.mul(w, e.c(lg6))))))
        t2 = e.mul(z, e.add(e.c(lg1), e.mul(w, e.add(e.c(lg3), e.mul(
            w, e.add(e.c(lg5), e.mul(w, e.c(lg7))))))))
    else:
        lg1, lg2, lg3, lg4 = _LG32
        t1 = e.mul(w, e.add(e.c(lg2), e.mul(w, e.c(lg4))))
        t2 = e.mul(z, e.add(e.c(lg1), e.mul(w, e.c(lg3))))
    r = e.add(t2, t1)
    hfsq = e.mul(e.mul(e.c(0.5), f), f)
    return hfsq, e.mul(s, e.add(hfsq, r))


def _log_specials(e: Emitter, x, r, zero_value=-math.inf):
    """log-family special cases: x < 0 -> NaN, x == 0 -> -inf, +inf -> +inf, NaN -> NaN."""
    r = e.sel(e.eq(x, e.c(math.inf)), x, r)
    r = e.sel(e.eq(x, e.c(0.0)), e.c(zero_value), r)
    r = e.sel(e.lt(x, e.c(0.0)), e.c(math.nan), r)
    return e.sel(e.isnan(x), x, r)


def log(e: Emitter, x, correction=None):
    """Natural log: fdlibm/musl `e_log.c` (`logf.c` for float32); < 1 ulp.
    `correction` (log1p) is added with k*ln2_lo, as fdlibm's `s_log1p.c` does."""
    kf, f = _log_reduce(e, x)
    hfsq, sr = _log_parts(e, f)
    hi, lo = (_LN2_HI64, _LN2_LO64) if e.f64 else (_LN2_HI32, _LN2_LO32)
    klo = e.mul(kf, e.c(lo))
    if correction is not None:
        klo = e.add(klo, correction)
    r = e.add(e.add(e.sub(e.add(sr, klo), hfsq), f), e.mul(kf, e.c(hi)))
    return _log_specials(e, x, r)


def _split_hi(e: Emitter, v):
    """v with the low 32 bits of its significand cleared (float64)."""
    return e.from_bits(e.b.and_(e.bits(v), e.ci(-(1 << 32))))


def log2(e: Emitter, x):
    """log2 (float64): musl `e_log2.c` (hi/lo split so the result rounds once); <= 1 ulp."""
    assert e.f64
    kf, f = _log_reduce(e, x)
    hfsq, sr = _log_parts(e, f)
    hi = _split_hi(e, e.sub(f, hfsq))
    lo = e.add(e.sub(e.sub(f, hi), hfsq), sr)
    ivln2hi, ivln2lo = 1.44269504072144627571e+00, 1.67517131648865118353e-10
    val_hi = e.mul(hi, e.c(ivln2hi))
    val_lo = e.add(e.mul(e.add(lo, hi), e.c(ivln2lo)), e.mul(lo, e.c(ivln2hi)))
    w = e.add(kf, val_hi)
    val_lo = e.add(val_lo, e.add(e.sub(kf, w), val_hi))
    return _log_specials(e, x, e.add(val_lo, w))


def log10(e: Emitter, x):
    """log10 (float64): musl `e_log10.c`; <= 1 ulp."""
    assert e.f64
    kf, f = _log_reduce(e, x)
    hfsq, sr = _log_parts(e, f)
    hi = _split_hi(e, e.sub(f, hfsq))
    lo = e.add(e.sub(e.sub(f, hi), hfsq), sr)
    ivln10hi, ivln10lo = 4.34294481878168880939e-01, 2.50829467116452752298e-11
    log10_2hi, log10_2lo = 3.01029995663611771306e-01, 3.69423907715893078616e-13
    val_hi = e.mul(hi, e.c(ivln10hi))
    y = e.mul(kf, e.c(log10_2hi))
    val_lo = e.add(e.add(e.mul(kf, e.c(log10_2lo)), e.mul(e.add(lo, hi), e.c(ivln10lo))),
                   e.mul(lo, e.c(ivln10hi)))
    w = e.add(y, val_hi)
    val_lo = e.add(val_lo, e.add(e.sub(y, w), val_hi))
    return _log_specials(e, x, e.add(val_lo, w))


def log1p(e: Emitter, x):
    """log(1+x) (float64): fdlibm `s_log1p.c`'s idea, branch-free: u = 1+x rounded,
    log(u) plus the correction c = (x - (u-1))/u; u == 1 -> x (|x| < 2^-53)."""
    assert e.f64
    u = e.add(e.c(1.0), x)
    c = e.div(e.sub(x, e.sub(u, e.c(1.0))), u)
    c = e.sel(e.lt(e.fabs(x), e.c(2.0 ** 1000)), c, e.c(0.0))
    r = log(e, u, correction=c)
    r = e.sel(e.eq(u, e.c(1.0)), x, r)
    r = e.sel(e.eq(x, e.c(-1.0)), e.c(-math.inf), r)
    r = e.sel(e.lt(x, e.c(-1.0)), e.c(math.nan), r)
    return e.sel(e.isnan(x), x, r)


# -- sin / cos ----------------------------------------------------------------------------------

_S = (-1.66666666666666324348e-01, 8.33333333332248946124e-03, -1.98412698298579493134e-04,
      2.75573137070700676789e-06, -2.50507602534068634195e-08, 1.58969099521155010221e-10)
_C = (4.16666666666666019037e-02, -1.38888888888741095749e-03, 2.48015872894767294178e-05,
      -2.75573143513906633035e-07, 2.08757232129817482790e-09, -1.13596475577881948265e-11)
#: |x| below this: musl's medium-range reduction is exact enough (2^20 * pi/2).
TRIG_LIMIT = 1647099.0


def _kernel_sin(e: Emitter, x, y):
    """fdlibm `__kernel_sin(x, y, 1)`."""
    s1, s2, s3, s4, s5, s6 = _S
    z = e.mul(x, x)
    w = e.mul(z, z)
    r = e.add(e.add(e.c(s2), e.mul(z, e.add(e.c(s3), e.mul(z, e.c(s4))))),
              e.mul(e.mul(z, w), e.add(e.c(s5), e.mul(z, e.c(s6)))))
    v = e.mul(z, x)
    inner = e.sub(e.mul(z, e.sub(e.mul(e.c(0.5), y), e.mul(v, r))), y)
    return e.sub(x, e.sub(inner, e.mul(v, e.c(s1))))


def _kernel_cos(e: Emitter, x, y):
    """fdlibm `__kernel_cos(x, y)`."""
    c1, c2, c3, c4, c5, c6 = _C
    z = e.mul(x, x)
    w = e.mul(z, z)
    r = e.add(e.mul(z, e.add(e.c(c1), e.mul(z, e.add(e.c(c2), e.mul(z, e.c(c3)))))),
              e.mul(e.mul(w, w), e.add(e.c(c4), e.mul(z, e.add(e.c(c5), e.mul(z, e.c(c6)))))))
    hz = e.mul(e.c(0.5), z)
    w = e.sub(e.c(1.0), hz)
    return e.add(w, e.add(e.sub(e.sub(e.c(1.0), w), hz), e.sub(e.mul(z, r), e.mul(x, y))))


def _rem_pio2(e: Emitter, x):
    """musl `__rem_pio2` medium case, all three rounds: x = n*pi/2 + y0 + y1 for
    |x| < 2^20*pi/2 (larger x are clamped: the caller replaces those results)."""
    xc = e.sel(e.lt(e.fabs(x), e.c(TRIG_LIMIT)), x, e.c(0.0))
    fn = e.rint(e.mul(xc, e.c(6.36619772367581382433e-01)))
    pio2 = ((1.57079632673412561417e+00, 6.07710050650619224932e-11),
            (6.07710050630396597660e-11, 2.02226624879595063154e-21),
            (2.02226624871116645580e-21, 8.47842766036889956997e-32))
    r = e.sub(xc, e.mul(fn, e.c(pio2[0][0])))
    w = e.mul(fn, e.c(pio2[0][1]))
    for p, pt in pio2[1:]:
        t = r
        w = e.mul(fn, e.c(p))
        r = e.sub(t, w)
        w = e.sub(e.mul(fn, e.c(pt)), e.sub(e.sub(t, r), w))
    y0 = e.sub(r, w)
    y1 = e.sub(e.sub(r, y0), w)
    n = e.b.and_(e.to_int(fn), e.ci(3))
    return n, y0, y1


def _sincos(e: Emitter, x, want_sin: bool):
    assert e.f64
    n, y0, y1 = _rem_pio2(e, x)
    s = _kernel_sin(e, y0, y1)
    c = _kernel_cos(e, y0, y1)
    b = e.b
    if want_sin:     # n: 0 sin, 1 cos, 2 -sin, 3 -cos
        odd_use_cos, negate = b.trunc(n, ir.IntType(1)), b.icmp_unsigned(">=", n, e.ci(2))
    else:            # n: 0 cos, 1 -sin, 2 -cos, 3 sin
        odd_use_cos = b.not_(b.trunc(n, ir.IntType(1)))
        negate = b.or_(b.icmp_unsigned("==", n, e.ci(1)), b.icmp_unsigned("==", n, e.ci(2)))
    r = e.sel(odd_use_cos, c, s)
    r = e.sel(negate, b.fneg(r), r)
    if want_sin:
        r = e.sel(e.lt(e.fabs(x), e.c(2.0 ** -27)), x, r)     # sin(+-0) = +-0, tiny x
    # inf -> NaN, NaN -> NaN
    return e.sel(e.lt(e.fabs(x), e.c(math.inf)), r, e.c(math.nan))


def sin(e: Emitter, x):
    """sine (float64) for |x| < TRIG_LIMIT: musl reduction + fdlibm kernels; < 1 ulp."""
    return _sincos(e, x, True)


def cos(e: Emitter, x):
    """cosine (float64) for |x| < TRIG_LIMIT: musl reduction + fdlibm kernels; < 1 ulp."""
    return _sincos(e, x, False)


# -- power (float32, computed in float64) ------------------------------------------------------

def powf_via_f64(e: Emitter, x, y):
    """x**y for float32 operands already extended to float64: exp2(y*log2|x|) (relative error
    ~2^-45 before the final rounding to float32) with C99 Annex F special cases."""
    assert e.f64
    b = e.b
    ax = e.fabs(x)
    r = exp2(e, e.mul(y, log2(e, ax)))
    y_int = e.eq(e.rint(y), y)
    half = e.mul(y, e.c(0.5))
    y_odd = b.and_(y_int, e.ne(e.rint(half), half))
    neg = e.lt(x, e.c(0.0))
    neg_zero = b.and_(e.eq(x, e.c(0.0)), b.icmp_signed("<", e.bits(x), e.ci(0)))
    r = e.sel(b.and_(b.or_(neg, neg_zero), y_odd), b.fneg(r), r)
    finite_neg = b.and_(neg, e.gt(x, e.c(-math.inf)))      # pow(-inf, 0.5) is +inf
    r = e.sel(b.and_(finite_neg, b.not_(y_int)), e.c(math.nan), r)
    # |x| == 1 with y = +-inf -> 1; y == 0 -> 1 (even for NaN x); x == 1 -> 1 (even NaN y)
    one = e.c(1.0)
    r = e.sel(b.and_(e.eq(ax, one), e.eq(e.fabs(y), e.c(math.inf))), one, r)
    r = e.sel(e.eq(y, e.c(0.0)), one, r)
    return e.sel(e.eq(x, one), one, r)


# -- dispatch used by the scalar rules ----------------------------------------------------------

#: name -> (float64 implementation, float32 implementation or None to compute in float64)
FUNCTIONS: dict[str, tuple[Callable, Callable | None]] = {
    "exp": (exp, exp),
    "exp2": (exp2, exp2),
    "log": (log, log),
    "expm1": (expm1, None),
    "log1p": (log1p, None),
    "log2": (log2, None),
    "log10": (log10, None),
    "tanh": (tanh, tanh_f32_native),
    "sin": (sin, None),
    "cos": (cos, None),
}


#: float32 functions with a cheaper float64 kernel than the float64 function itself.
_F32_VIA_F64: dict[str, Callable] = {"tanh": tanh_f32}

#: float32 functions computed by `codegen.lutmath` (per-interval polynomials, coefficients
#: picked per lane by a permute) on AVX-512 hosts: fewer operations than the designs above.
_F32_TABLE_DRIVEN = frozenset({"tanh", "exp"})


def emit(builder: ir.IRBuilder, name: str, x: ir.Value) -> ir.Value:
    """Emit `name(x)` for a float/double register `x` (see FUNCTIONS)."""
    f64_impl, f32_impl = FUNCTIONS[name]
    if name in _F32_TABLE_DRIVEN and isinstance(x.type, ir.FloatType):
        from . import lutmath
        if lutmath.available():
            return lutmath.call(builder, name, x)
    if isinstance(x.type, ir.DoubleType):
        return f64_impl(Emitter(builder, F64), x)
    if f32_impl is not None:
        return f32_impl(Emitter(builder, F32), x)
    wide = builder.fpext(x, F64)
    impl = _F32_VIA_F64.get(name, f64_impl)
    return builder.fptrunc(impl(Emitter(builder, F64), wide), F32)


def _libm_fallback(builder: ir.IRBuilder, x: ir.Value, fast: ir.Value, symbol: str) -> ir.Value:
    """`fast` (computed for every element), or libm `symbol(x)` (float64) where |x| is beyond
    the vector algorithm's range: a rarely taken branch around a call declared `memory(none)`,
    which the loop vectorizer predicates (per-lane scalar calls only for such lanes)."""
    module = builder.block.function.module
    fn = module.globals.get(symbol)
    if fn is None:
        fn = ir.Function(module, ir.FunctionType(F64, [F64]), name=symbol)
        fn.attributes.add("nounwind")
        fn.attributes.add("readnone")
    e = Emitter(builder, x.type)
    big = builder.fcmp_unordered(">=", e.fabs(x), e.c(TRIG_LIMIT))
    pre = builder.block
    slow = builder.append_basic_block("libm.slow")
    join = builder.append_basic_block("libm.join")
    builder.cbranch(big, slow, join).set_weights([1, 1 << 16])
    builder.position_at_end(slow)
    wide = x if e.f64 else builder.fpext(x, F64)
    r = builder.call(fn, [wide])
    if not e.f64:
        r = builder.fptrunc(r, F32)
    slow_end = builder.block
    builder.branch(join)
    builder.position_at_end(join)
    phi = builder.phi(x.type)
    phi.add_incoming(fast, pre)
    phi.add_incoming(r, slow_end)
    return phi


def emit_checked(builder: ir.IRBuilder, name: str, x: ir.Value) -> ir.Value:
    """`emit`, plus the libm fallback for sin/cos arguments beyond `TRIG_LIMIT`."""
    r = emit(builder, name, x)
    if name in ("sin", "cos"):
        r = _libm_fallback(builder, x, r, name)
    return r


def power_f32(builder: ir.IRBuilder, x: ir.Value, y: ir.Value) -> ir.Value:
    """float32 x**y via `powf_via_f64`, rounded once."""
    e = Emitter(builder, F64)
    r = powf_via_f64(e, builder.fpext(x, F64), builder.fpext(y, F64))
    return builder.fptrunc(r, F32)


def cube_f32(builder: ir.IRBuilder, x: ir.Value) -> ir.Value:
    """x**3 for float32 x in float32 lanes (no float64 detour): x*x = hi + lo exactly
    (lo = fma(x, x, -hi)), so x^3 = hi*x + lo*x and fma(hi, x, lo*x) rounds once, off only by
    lo*x's rounding (2^-48 relative). Correctly rounded for every |x| >= 2^-26 and at overflow
    (checked over all those float32 inputs, tests/codegen/test_vecmath_f32.py); below, lo*x
    underflows and results (< 2^-78) are faithful (<= 1 ulp). A fully correctly rounded tiny
    path (scaling plus a grid-rounding fix-up for subnormal results, commit 3bf3053) cost
    gelu ~1 ms on 4M elements (2.56 vs 1.51 ms), so it was dropped: glibc's powf and NumPy's
    SVML power are not correctly rounded either (<= 1 ulp from this)."""
    e = Emitter(builder, F32)
    hi = e.mul(x, x)
    lo = e.fma(x, x, builder.fneg(hi))
    # |x| >= 2^43 overflows anyway (hi*x alone gives +-inf); there lo*x could overflow to the
    # wrong sign, or be NaN (x*x = inf: lo = -inf; x = inf: 0*inf)
    lox = e.sel(e.lt(e.fabs(x), e.c(2.0 ** 43)), e.mul(lo, x), e.c(0.0))
    return e.fma(hi, x, lox)


def power_int_f32(builder: ir.IRBuilder, x: ir.Value, n: int) -> ir.Value:
    """float32 x**n for a constant integer n (|n| <= 8) by squaring in float64 (x*x exact,
    later products one float64 rounding each), then one rounding to float32; 1/x^|n| for
    n < 0 (IEEE division gives pow's +-inf at +-0)."""
    if n == 0:
        return ir.Constant(F32, 1.0)
    if n in (1, 2):
        return x if n == 1 else builder.fmul(x, x)         # one rounding: exactly powf
    if n == 3:
        return cube_f32(builder, x)
    w = builder.fpext(x, F64)
    result, base, k = None, w, abs(n)
    while k:
        if k & 1:
            result = base if result is None else builder.fmul(result, base)
        k >>= 1
        if k:
            base = builder.fmul(base, base)
    if n < 0:
        result = builder.fdiv(ir.Constant(F64, 1.0), result)
    return builder.fptrunc(result, F32)


#: Functions whose scalar rules use this module (sin/cos are not registered: a vector path for
#: |x| >= TRIG_LIMIT is missing and a predicated libm fallback blocks loop vectorization).
VECTOR_RULES = ("exp", "exp2", "log", "expm1", "log1p", "log2", "log10", "tanh")
