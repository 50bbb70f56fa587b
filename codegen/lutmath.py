"""Table-driven float32 functions (tanh, exp) for AVX-512 hosts, vectorized through a
vector-variant call.

A piecewise polynomial needs, per lane, the coefficients of the interval the lane's |x| falls
in. Written as scalar IR (a load from a table), LLVM's loop vectorizer would turn the lookup
into gathers, which cost more than the polynomial saves. So each function here is emitted
twice into the module being compiled:

- a scalar function `@fj.lut.<name>` (`noinline`; the lookup is an `extractelement` from a
  constant vector) that the element rules call, the call carrying LLVM's
  `"vector-function-abi-variant"` attribute (the vector function ABI mapping, LangRef
  "vector-function-abi-variant"), and
- vector variants for 4, 8 and 16 lanes, `@fj.lut.<name>.v<N>`, where each coefficient is
  picked for 16 lanes at once by `vpermi2ps` from two zmm halves of a 32-entry table (the
  4- and 8-lane variants widen to 16 and narrow back).

The loop vectorizer replaces a vectorized loop's scalar calls with calls of the variant for its
vectorization factor; `finalize_module` keeps the variants alive until then
(`@llvm.compiler.used`), and `codegen.compile.optimize` inlines them afterwards
(`alwaysinline`, one always-inliner run after O3), so the tables become loop-invariant
constants the backend hoists into registers. Scalar code (loop remainders, scalar loops) calls
the scalar function: same operations, same roundings, so every element gets the same result
whichever path computed it.

exp (float32): `_exp_body` (2^(i/32) table, degree-3 polynomial, `vscalefps`): < 0.76 ulp
over all float32 (checked exhaustively), 16 operations per 16 lanes against 21 for
`vecmath.exp`.

tanh (float32): |x| is split into 32 intervals by its exponent and top two mantissa bits
(quarter-binades from 0.0546875 to 10, one interval below and a constant 1 above); on each,
tanh(b + y) = c0 + y*(c1 + y*(c2 + ... + y*c5)) with b the interval's midpoint (y = |x| - b is
exact, Sterbenz), c0 = tanh(b) kept as a float32 pair (hi + lo) and c1..c5 a weighted
least-squares fit to the rest, rounded to float32 one coefficient at a time from the lowest
degree, each rounding absorbed by refitting the higher ones (`fit_tanh_f32`). The same interval
scheme as NumPy's SIMD float32 tanh (converted from Intel's SVML); coefficients fitted here.
Error over all float32 in [0, 10]: <= 0.992 ulp from the correctly rounded tanh (NumPy's own
kernel: 1.37 ulp), and within 1 ulp of NumPy's result.
"""

from __future__ import annotations

import math

import llvmlite.ir as ir

from . import target
from .vecmath import Emitter

F32, I32 = ir.FloatType(), ir.IntType(32)
LANES = 16
V16F, V16I = ir.VectorType(F32, LANES), ir.VectorType(I32, LANES)

#: The interval index of a = min(|x|, 10): max((bits(a) >> INDEX_SHIFT) - (INDEX_BASE >>
#: INDEX_SHIFT), 0), i.e. a's exponent and top two mantissa bits, counted from INDEX_BASE.
INDEX_BASE, INDEX_SHIFT = 0x3D400000, 21

#: Per interval: b, c0 hi, c0 lo, c1, c2, c3, c4, c5 as float32 bit patterns (`fit_tanh_f32`).
TANH_F32 = (
    (0x00000000, 0x00000000, 0x00000000, 0x3f800000, 0x31a8dc20, 0xbeaaaac6, 0x38267f72, 0x3e07dfca),
    (0x3d700000, 0x3d6fb9c9, 0xb0a1502d, 0x3f7f1f84, 0xbd6ee792, 0xbeab0424, 0x3d1ee297, 0x4374cd26),
    (0x3d900000, 0x3d8fc35f, 0xb11d0bfd, 0x3f7ebd11, 0xbd8f0e04, 0xbea7ef56, 0x3d3d0645, 0x4163fb06),
    (0x3db00000, 0x3daf9169, 0xaf932cd8, 0x3f7e1e5f, 0xbdae471b, 0xbea4e1e8, 0x3d65fcc1, 0xc18ffa0e),
    (0x3dd00000, 0x3dcf49ab, 0x30fa46dc, 0x3f7d609f, 0xbdcd2a0b, 0xbea387e2, 0x3d86c0ed, 0xc08b2c8f),
    (0x3df00000, 0x3deee849, 0x31249f03, 0x3f7c842d, 0xbdeba802, 0xbea15978, 0x3d99e36a, 0xc02ac054),
    (0x3e100000, 0x3e0f0ee8, 0x312b9b2e, 0x3f7b00e5, 0xbe0c441e, 0xbe9d5836, 0x3db58ae6, 0xbf7cfc1d),
    (0x3e300000, 0x3e2e4984, 0xb1dd8639, 0x3f789580, 0xbe293cff, 0xbe976b41, 0x3dd7ca0b, 0x3f2a20a9),
    (0x3e500000, 0x3e4d2f8e, 0xb044cd7c, 0x3f75b8ad, 0xbe44f287, 0xbe9022ff, 0x3df6ab79, 0x3eccf5b4),
    (0x3e700000, 0x3e6bb32e, 0x31f9bb82, 0x3f726fd9, 0xbe5f365c, 0xbe880dea, 0x3e08f4b5, 0x3f418cc1),
    (0x3e900000, 0x3e8c51cd, 0xb0ca5bdd, 0x3f6cc59b, 0xbe81c7b8, 0xbe7479d1, 0x3e19710a, 0xba9144b9),
    (0x3eb00000, 0x3ea96163, 0xb21e279f, 0x3f63fb92, 0xbe96d7cc, 0xbe4c3d77, 0x3e27fe38, 0x3da38ef4),
    (0x3ed00000, 0x3ec543f1, 0xb234cc3c, 0x3f59ff97, 0xbea7fb89, 0xbe21248f, 0x3e2dff79, 0xbd5095eb),
    (0x3ef00000, 0x3edfd735, 0x3239724e, 0x3f4f11d7, 0xbeb50e9d, 0xbdeb8cc3, 0x3e2c2149, 0xbcadf7fd),
    (0x3f100000, 0x3f028438, 0xb2d092b5, 0x3f3d7573, 0xbec12ef4, 0xbd5e78df, 0x3e1cf0f2, 0xbd3b32ea),
    (0x3f300000, 0x3f18abf0, 0xb1304752, 0x3f24f360, 0xbec4be91, 0x3c6b5e99, 0x3df49eb0, 0xbd6cb995),
    (0x3f500000, 0x3f2bc480, 0xb2ef2d66, 0x3f0cbfe7, 0xbebce072, 0x3d839149, 0x3da3a007, 0xbd796ad3),
    (0x3f700000, 0x3f3bec1c, 0x32e34058, 0x3eec1a69, 0xbead5111, 0x3dc21ee4, 0x3d319350, 0xbd5fe391),
    (0x3f900000, 0x3f4f2e5b, 0xb20b7653, 0x3eb0a801, 0xbe8ef819, 0x3de347db, 0x3b70bf14, 0xbd03a844),
    (0x3fb00000, 0x3f613c53, 0xb2d5b1b8, 0x3e6753a2, 0xbe4b8753, 0x3dcbeca6, 0xbcacf2a9, 0xbc1cd1d8),
    (0x3fd00000, 0x3f6ce37d, 0x32fe61c8, 0x3e132f1a, 0xbe083254, 0x3d99ef31, 0xbccdd8e0, 0x3abafd1e),
    (0x3ff00000, 0x3f743c4f, 0x32cec0de, 0x3db7e7d3, 0xbdaf7452, 0x3d542ea1, 0xbcaacd98, 0x3b95f11a),
    (0x40100000, 0x3f7a5feb, 0x32c2dfd2, 0x3d320845, 0xbd2e1d7c, 0x3cdde6f6, 0xbc4aee54, 0x3b825b92),
    (0x40300000, 0x3f7dea85, 0xb2230a38, 0x3c84d3d5, 0xbc83bd10, 0x3c2cc9f9, 0xbba8aedc, 0x3afb135a),
    (0x40500000, 0x3f7f3b3d, 0xb2a2cac6, 0x3bc477b7, 0xbbc3dd33, 0x3b81cb24, 0xbb01a18c, 0x3a49fa40),
    (0x40700000, 0x3f7fb78c, 0xb2315712, 0x3b10d3da, 0xbb10a81b, 0x3ac0739f, 0xba41ccec, 0x39996c95),
    (0x40900000, 0x3f7fefd4, 0xb2deac68, 0x3a016020, 0xba012e14, 0x39ac2fec, 0xb9345c15, 0x388f4249),
    (0x40b00000, 0x3f7ffdd0, 0xb2d03e17, 0x388c1a3c, 0xb88beb5d, 0x383a94b0, 0xb7c3a7bd, 0x371bb364),
    (0x40d00000, 0x3f7fffb4, 0x321fd937, 0x3717b0db, 0xb7177f2f, 0x36ca07f3, 0xb653e37f, 0x35a8a87f),
    (0x40f00000, 0x3f7ffff6, 0xb2875c39, 0x35a43bcf, 0xb5a40630, 0x355abd21, 0xb4e56a90, 0x34369dc8),
    (0x41100000, 0x3f7fffff, 0x32fa59d8, 0x3383070f, 0xb37ff78b, 0x332b39d7, 0xb2d1cc90, 0x322492c4),
    (0x00000000, 0x3f800000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000, 0x00000000),
)
TANH_DEGREE = 5


def available() -> bool:
    """True when the host has AVX-512F (`vpermi2ps` on zmm), so the table functions apply."""
    return target.HAS_AVX512F


# -- fitting (how TANH_F32 was made) ----------------------------------------------------------

def _f32(v: float) -> float:
    import numpy as np
    return float(np.float32(v))


def _bits_to_f32(u: int) -> float:
    import numpy as np
    return float(np.array([u], np.uint32).view(np.float32)[0])


def _f32_bits(v: float) -> int:
    import numpy as np
    return int(np.array([v], np.float32).view(np.uint32)[0])


def fit_tanh_f32(degree: int = TANH_DEGREE) -> tuple[tuple[int, ...], ...]:
    """Refit `TANH_F32` (float32 bit patterns; see the module docstring): per interval, 400
    Chebyshev nodes plus the end points, weights 1/tanh (relative error), float64 reference
    values from NumPy's float64 tanh (< 1 float64 ulp, far below a float32 ulp)."""
    import numpy as np
    rows = []
    nodes = np.cos(np.pi * (np.arange(400) + 0.5) / 400)
    for k in range(31):
        lo = 0.0 if k == 0 else _bits_to_f32(INDEX_BASE + (k << INDEX_SHIFT))
        hi = _bits_to_f32(INDEX_BASE + ((k + 1) << INDEX_SHIFT))
        b = 0.0 if k == 0 else _f32((lo + hi) / 2)
        c0 = math.tanh(b)
        c0_hi = _f32(c0)
        c0_lo = _f32(c0 - c0_hi)
        ys = np.concatenate([(lo - b) + (hi - lo) * (nodes + 1) / 2, [lo - b, hi - b]])
        target_ = np.tanh(b + ys) - c0
        weight = 1 / np.maximum(np.abs(np.tanh(b + ys)), 1e-300)
        coeffs = [1.0] if k == 0 else []          # tanh(y) = y + O(y^3) exactly near 0
        for i in range(len(coeffs), degree):
            rest = target_ - sum(c * ys ** (j + 1) for j, c in enumerate(coeffs))
            basis = np.stack([ys ** (j + 1) for j in range(i, degree)], 1)
            sol, *_ = np.linalg.lstsq(basis * weight[:, None], rest * weight, rcond=None)
            coeffs.append(_f32(sol[0]))
        rows.append(tuple(_f32_bits(v) for v in [b, c0_hi, c0_lo] + coeffs))
    rows.append((0, _f32_bits(1.0), 0) + (0,) * degree)
    return tuple(rows)


# -- emission ---------------------------------------------------------------------------------

class VectorEmitter(Emitter):
    """`Emitter` over <16 x float> / <16 x i32> (splat constants, vector intrinsics)."""

    def __init__(self, builder: ir.IRBuilder):
        super().__init__(builder, F32)
        self.ty, self.ity = V16F, V16I

    def c(self, v: float) -> ir.Constant:
        return ir.Constant(V16F, [float(v)] * LANES)

    def ci(self, v: int) -> ir.Constant:
        return ir.Constant(V16I, [int(v)] * LANES)

    def intrinsic(self, name, args, ty=None):
        ty = ty or self.ty
        full = f"llvm.{name}.v{LANES}f32"
        fn = self.module.globals.get(full)
        if fn is None:
            fn = ir.Function(self.module, ir.FunctionType(ty, [ty] * len(args)), name=full)
        return self.b.call(fn, list(args))


def _tanh_body(e: Emitter, x, lookup):
    """tanh(x) on `e`'s type; `lookup(column, index)` gives TANH_F32[index][column] as floats.

    |x| is first clamped to 10 with `10 < a ? 10 : a` (one `vminps`; NaN stays NaN): then the
    interval index needs no upper clamp, |x| >= 10 and +-inf land in the last row (1 + 0*y),
    and NaN propagates through the polynomial, so no final selects are needed."""
    b = e.b
    a = e.fabs(x)
    a = e.sel(e.lt(e.c(10.0), a), e.c(10.0), a)
    idx = b.sub(b.lshr(e.bits(a), e.ci(INDEX_SHIFT)), e.ci(INDEX_BASE >> INDEX_SHIFT))
    idx = b.select(b.icmp_signed("<", idx, e.ci(0)), e.ci(0), idx)
    y = e.sub(a, lookup(0, idx))
    p = lookup(3 + TANH_DEGREE - 1, idx)
    for col in range(3 + TANH_DEGREE - 2, 2, -1):
        p = e.fma(p, y, lookup(col, idx))
    r = e.add(e.fma(p, y, lookup(2, idx)), lookup(1, idx))
    return e.copysign(r, x)


def _exp2_fractions() -> tuple[tuple[int, int], ...]:
    """`EXP_F32`: 2^(i/32) for i in 0..31 as a float32 pair (hi, lo), hi + lo within 2^-48."""
    rows = []
    for i in range(32):
        v = 2.0 ** (i / 32)
        hi = _f32(v)
        rows.append((_f32_bits(hi), _f32_bits(v - hi)))
    return tuple(rows)


EXP_F32 = _exp2_fractions()
_INV_LN2_32 = 32 / math.log(2.0)
# ln2/32 split for Cody-Waite: hi with trailing zero bits, lo the rest (float32 values)
_LN2_32_HI = 0.693145751953125 / 32
_LN2_32_LO = 1.428606765330187045e-06 / 32
_MAGIC = 1.5 * 2.0 ** 23


def _scalef(e: Emitter, x, kf):
    """x * 2^floor(kf) rounded once (AVX-512 `vscalefps`/`vscalefss`: exact scaling, one
    rounding into subnormals, inf on overflow, NaN in -> NaN out)."""
    b = e.b
    module = e.module
    if isinstance(e, VectorEmitter):
        name, ty = "llvm.x86.avx512.mask.scalef.ps.512", V16F
        fn = module.globals.get(name) or ir.Function(
            module, ir.FunctionType(ty, [ty, ty, ty, ir.IntType(16), I32]), name=name)
        return b.call(fn, [x, kf, ir.Constant(ty, None), ir.Constant(ir.IntType(16), -1),
                           ir.Constant(I32, 4)])
    v4 = ir.VectorType(F32, 4)
    name = "llvm.x86.avx512.mask.scalef.ss"
    fn = module.globals.get(name) or ir.Function(
        module, ir.FunctionType(v4, [v4, v4, v4, ir.IntType(8), I32]), name=name)
    xv = b.insert_element(ir.Constant(v4, None), x, ir.Constant(I32, 0))
    kv = b.insert_element(ir.Constant(v4, None), kf, ir.Constant(I32, 0))
    r = b.call(fn, [xv, kv, ir.Constant(v4, None), ir.Constant(ir.IntType(8), -1),
                    ir.Constant(I32, 4)])
    return b.extract_element(r, ir.Constant(I32, 0))


def _exp_body(e: Emitter, x, lookup):
    """e^x (float32): x = (32k + i) ln2/32 + f with |f| <= ln2/64 (Cody-Waite, two fma steps),
    e^x = 2^k * 2^(i/32) * (1 + p(f)), p the degree-3 Taylor polynomial of expm1 (truncation
    < 0.006 ulp), 2^(i/32) = hi + lo from `EXP_F32` (one `vpermi2ps` each: the index is the
    low five bits of the round-to-nearest magic sum), reconstructed as hi + fma(hi, p, lo)
    with one final rounding (< 0.52 ulp), and scaled by `vscalefps` with floor(j/32) = k.
    |x| is clamped to 110 first (NaN passes through and propagates)."""
    xc = e.sel(e.lt(x, e.c(-110.0)), e.c(-110.0), x)
    xc = e.sel(e.gt(xc, e.c(110.0)), e.c(110.0), xc)
    t = e.fma(xc, e.c(_INV_LN2_32), e.c(_MAGIC))
    jf = e.sub(t, e.c(_MAGIC))
    f = e.fma(jf, e.c(-_LN2_32_HI), xc)
    f = e.fma(jf, e.c(-_LN2_32_LO), f)
    q = e.fma(f, e.c(1 / 6), e.c(0.5))
    p = e.fma(e.mul(f, f), q, f)
    idx = e.bits(t)
    hi, lo = lookup(0, idx), lookup(1, idx)
    r = e.add(hi, e.fma(hi, p, lo))
    return _scalef(e, r, e.mul(jf, e.c(1 / 32)))


def _column(table, col: int) -> list[float]:
    return [_bits_to_f32(row[col]) for row in table]


def _scalar_function(module: ir.Module, name: str, table, body) -> ir.Function:
    fn = ir.Function(module, ir.FunctionType(F32, [F32]), name=f"fj.lut.{name}")
    fn.linkage = "internal"
    fn.attributes.add("noinline")
    fn.attributes.add("nounwind")
    fn.attributes.add("readnone")
    builder = ir.IRBuilder(fn.append_basic_block("entry"))
    columns = [ir.Constant(ir.VectorType(F32, 32), _column(table, c)) for c in range(len(table[0]))]

    def lookup(col, idx):
        # as vpermi2ps: only the index's low five bits count
        return builder.extract_element(columns[col], builder.and_(idx, ir.Constant(I32, 31)))

    builder.ret(body(Emitter(builder, F32), fn.args[0], lookup))
    return fn


def _vector16_function(module: ir.Module, name: str, table, body) -> ir.Function:
    fn = ir.Function(module, ir.FunctionType(V16F, [V16F]), name=f"fj.lut.{name}.v16")
    fn.linkage = "internal"
    fn.attributes.add("alwaysinline")
    fn.attributes.add("nounwind")
    builder = ir.IRBuilder(fn.append_basic_block("entry"))
    permute = module.globals.get("llvm.x86.avx512.vpermi2var.ps.512")
    if permute is None:
        permute = ir.Function(module, ir.FunctionType(V16F, [V16F, V16I, V16F]),
                              name="llvm.x86.avx512.vpermi2var.ps.512")

    def lookup(col, idx):
        values = _column(table, col)
        lo, hi = ir.Constant(V16F, values[:LANES]), ir.Constant(V16F, values[LANES:])
        return builder.call(permute, [lo, idx, hi])

    builder.ret(body(VectorEmitter(builder), fn.args[0], lookup))
    return fn


def _narrow_function(module: ir.Module, name: str, wide: ir.Function, lanes: int) -> ir.Function:
    """The `lanes`-wide variant: widen to 16 lanes (the rest undefined), call, narrow."""
    vty = ir.VectorType(F32, lanes)
    fn = ir.Function(module, ir.FunctionType(vty, [vty]), name=f"fj.lut.{name}.v{lanes}")
    fn.linkage = "internal"
    fn.attributes.add("alwaysinline")
    fn.attributes.add("nounwind")
    builder = ir.IRBuilder(fn.append_basic_block("entry"))
    widened = builder.shuffle_vector(fn.args[0], ir.Constant(vty, None),
                                     ir.Constant(ir.VectorType(I32, LANES),
                                                 [i % lanes for i in range(LANES)]))
    r = builder.call(wide, [widened])
    builder.ret(builder.shuffle_vector(r, ir.Constant(V16F, None),
                                       ir.Constant(ir.VectorType(I32, lanes), list(range(lanes)))))
    return fn


class _VariantAttribute(ir.instructions.CallInstrAttributes):
    """A call-site string attribute llvmlite's attribute sets do not know."""

    def add(self, name):
        return set.add(self, name)


_FUNCTIONS = {"tanh": (TANH_F32, _tanh_body), "exp": (EXP_F32, _exp_body)}


def _declare(module: ir.Module, name: str) -> tuple[ir.Function, str]:
    scalar = module.globals.get(f"fj.lut.{name}")
    if scalar is None:
        table, body = _FUNCTIONS[name]
        scalar = _scalar_function(module, name, table, body)
        wide = _vector16_function(module, name, table, body)
        variants = [wide] + [_narrow_function(module, name, wide, n) for n in (4, 8)]
        used = getattr(module, "_fj_lut_used", [])
        used.extend(variants)
        module._fj_lut_used = used
    mangled = ",".join(f"_ZGV_LLVM_N{n}v_fj.lut.{name}(fj.lut.{name}.v{n})" for n in (4, 8, 16))
    return scalar, f'"vector-function-abi-variant"="{mangled}"'


def call(builder: ir.IRBuilder, name: str, x: ir.Value) -> ir.Value:
    """Emit `name(x)` (float32 `x`, a function of `_FUNCTIONS`) as a call the loop vectorizer
    maps to the function's vector variants. Requires `available()`."""
    scalar, attribute = _declare(builder.block.function.module, name)
    inst = builder.call(scalar, [x])
    inst.attributes = _VariantAttribute([attribute])
    return inst


def finalize_module(module: ir.Module) -> None:
    """Before printing `module`: list the vector variants in `@llvm.compiler.used`, so global
    dead-code elimination keeps them until the vectorizer has used them."""
    used = getattr(module, "_fj_lut_used", None)
    if not used:
        return
    ptr = ir.PointerType()
    array = ir.ArrayType(ptr, len(used))
    gv = ir.GlobalVariable(module, array, "llvm.compiler.used")
    gv.linkage = "appending"
    gv.section = "llvm.metadata"
    gv.initializer = ir.Constant(array, used)

