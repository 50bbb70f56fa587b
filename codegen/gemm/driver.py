"""The blocked gemm: Goto's loop nest around the micro-kernel, and the exported entry point.

    i64 fj_gemm_<f32|f64>(i64 m, i64 n, i64 k, ptr a, i64 lda, i64 trans_a,
                          ptr b, i64 ldb, i64 trans_b, ptr c, i64 ldc)

computes the row-major `C (m x n) = A (m x k) @ B (k x n)` (beta = 0): A[i, p] is
`a[i * lda + p]`, or `a[p * lda + i]` when `trans_a` is non-zero (the buffer holds A^T, the
`transpose_a` attribute of `matmul`); likewise B[p, j] is `b[p * ldb + j]` or `b[j * ldb + p]`;
C[i, j] is `c[i * ldc + j]`. Any sizes (0 included: an empty product is a zero matrix), any
element alignment. Returns 0, or the number of bytes it failed to allocate for its workspace.
`fj_gemm_<f32|f64>_epi` takes two more arguments, `ptr epilogue, ptr ctx`: the epilogue
(`EPILOGUE_TYPE`) is called on each part of C once it is final (see `emit_serial`).

Loops (Goto & van de Geijn, "Anatomy of High-Performance Matrix Multiplication", 2008,
figure 8; BLIS's five loops around the micro-kernel):

    for jc in range(0, n, nc):              # B block columns
      for pc in range(0, k, kc):            # k blocks; later ones accumulate onto C
        pack B[pc:pc+kc, jc:jc+nc] -> nr-wide panels      (or read B in place, see below;
                                                           row-major B: packed by the
                                                           first strip's kernels)
        for ic in range(0, m, mc):
          pack A[ic:ic+mc, pc:pc+kc] -> rows of stride a_stride (kc_max + a line)
                                           (row-major A, kc >= A_IN_PLACE_MIN_K: only
                                            the last, partial micro-panel)
          for ir in range(0, mc, mr):       # the A micro-panel stays in L1 ...
            for jr in range(0, nc, nr):     # ... while B panels stream from L2
              micro-kernel(C[ic+ir:, jc+jr:])

(BLIS runs jr outside ir, keeping the B micro-panel in L1 instead; `B_PANEL_OUTER` selects
that order. Measured on Zen 5: the same at 512^3, A outer 10-20% faster at 1024^3-2048^3.)

B is read in place (row-major, unit stride along n: the kernel's vector loads are masked at the
right edge) unless it is transposed or A has more than `PACK_B_MIN_M` rows: packing B costs a
copy of it per k block, which small products (an RNN step: 32 x 128 @ 128 x 128) do not earn
back. Row-major B is packed by the kernels of the first strip of tiles, which read it in place
and store each row they load into the packed panel (no separate copy pass). A is read in
place when transposed (the buffer holds A^T: the `mr` values of a micro-panel's k step are
adjacent, BLIS's packed layout, so the kernel steps `lda` per k) or when row-major and the k
block is long (`A_IN_PLACE_MIN_K`), except a last micro-panel of fewer than `mr` rows, which is
packed (the kernel reads whole panels); otherwise packed. Packing a transposed A took gathers
(`pack.py`); reading it in place measured on Zen 5, one core: k-means' 16 x 20000 @ 20000 x 8
float64 197 -> 139 us (OpenBLAS 160 us), 512 x 4096 @ 4096 x 64 float32 1.74 -> 1.04 ms,
1024^3 float32 9.6 -> 8.6 ms, 512^3 the same. A
last strip of at most `ceil(mr / 2)` rows runs a kernel of that many rows (512 rows with
mr = 11 leave 6). Measured on Zen 5, 512^3 float32 with all three: 4.61 -> 4.35 M cycles;
the module then compiles in about 60 ms (37 before).

The workspace (packed A and B blocks) is cached in one process-wide slot: a call takes it with
an atomic exchange and puts it back afterwards, so concurrent calls from several threads each
get a buffer of their own (a call finding the slot empty allocates; the spare is freed). Every
C element is one FMA chain over k in order, so results do not depend on the blocking.
"""

from __future__ import annotations

import llvmlite.ir as ir

from ..llvmtypes import I1, I64, I8, PTR, i64
from . import split
from .loops import counted
from .microkernel import emit_microkernel
from .pack import emit_pack_a, emit_pack_b, emit_transpose
from .params import Blocking
from .vector import VectorKind

#: Pack B when A has more rows than this (see the module docstring). Measured on Zen 5: not
#: packing costs 8% on the RNN's 32 x 128 @ 128 x 128 and packing pays from about 128 rows
#: up (in place, a power-of-two ldb puts a B micro-panel's rows in a few L1 sets and pages:
#: 1024^3 9 -> 11 ms).
PACK_B_MIN_M = 64

#: Read row-major A in place (no packing) when a k block is at least this long: the kernel
#: then broadcasts from `mr` rows `lda` apart. Measured on Zen 5, 506 x 512 @ 512 x 512
#: float32: 4.43 -> 4.33 M cycles. Short rows keep the packed copy, whose padded stride keeps
#: the rows' few cache lines out of each other's L1 sets.
A_IN_PLACE_MIN_K = 128

#: Loop order inside a packed A block: B micro-panel outer (BLIS: it stays in L1 while A
#: micro-panels stream from L2) or A micro-panel outer.
B_PANEL_OUTER = False

#: Cached workspaces (see `_workspace`): one per thread that may run a product at once.
WORKSPACE_SLOTS = 4

#: The workspace header (capacity in bytes) takes one cache line; the data follows, 64-aligned.
HEADER = 64

GEMM_ARGS = [I64, I64, I64, PTR, I64, I64, PTR, I64, I64, PTR, I64]
ARG_NAMES = ("m", "n", "k", "a", "lda", "ta", "b", "ldb", "tb", "c", "ldc")

#: The epilogue's type: `void epilogue(ptr ctx, ptr c, i64 ldc, i64 row0, i64 col0, i64 rows,
#: i64 cols)`; `c` points at C[row0, col0] of the whole product (row stride `ldc`).
EPILOGUE_TYPE = ir.FunctionType(ir.VoidType(), [PTR, PTR, I64, I64, I64, I64, I64])
#: `_epi` entry points take the epilogue and its context after the 11 gemm arguments.
EPI_ARGS = GEMM_ARGS + [PTR, PTR]
#: `_post` entry points also take the post-ops applied in registers before C is stored:
#: `ptr bias` (a row `bias[n]` added to every row of C, or null) and `i64 relu` (non-zero:
#: `maximum(., 0)` after the bias). The epilogue, if any, then sees those values.
POST_ARGS = EPI_ARGS + [PTR, I64]
#: The serial gemm also takes the row and column of its C in the whole product (`split.py`
#: gives each thread a block of C; the epilogue and the bias see whole-product coordinates).
SERIAL_ARGS = POST_ARGS + [I64, I64]


def symbol(cfg: Blocking) -> str:
    return f"fj_gemm_{cfg.name}"


def _imin(b: ir.IRBuilder, x, y):
    return b.select(b.icmp_signed("<", x, y), x, y)


def _round_up(b: ir.IRBuilder, x, q: int):
    return b.mul(b.sdiv(b.add(x, i64(q - 1)), i64(q)), i64(q))


def _workspace(module: ir.Module, cfg: Blocking):
    """`take(nbytes) -> ptr|null` and `give(ptr)` over `WORKSPACE_SLOTS` cached buffers.

    take: the first non-empty slot is emptied with an atomic exchange (a buffer too small is
    freed and replaced); give: the buffer goes back into the first empty slot (compare-and-
    swap), or is freed when all are full. Concurrent calls (Python threads, or the parts of
    a multi-threaded product) thus each own a buffer, and steady-state calls allocate nothing.
    """
    slots = ir.GlobalVariable(module, ir.ArrayType(PTR, WORKSPACE_SLOTS),
                              name=f"fj_gemm_{cfg.name}_ws")
    slots.linkage = "internal"
    slots.initializer = ir.Constant(ir.ArrayType(PTR, WORKSPACE_SLOTS), None)
    slots.align = 64
    aligned_alloc = module.globals.get("aligned_alloc") or ir.Function(
        module, ir.FunctionType(PTR, [I64, I64]), name="aligned_alloc")
    free = module.globals.get("free") or ir.Function(
        module, ir.FunctionType(ir.VoidType(), [PTR]), name="free")
    null = ir.Constant(PTR, None)

    def slot(b, s):
        return b.gep(slots, [i64(0), i64(s)], source_etype=slots.value_type)

    def take(b: ir.IRBuilder, nbytes):
        out = b.alloca(PTR)
        b.store(null, out)
        for s in range(WORKSPACE_SLOTS):
            with b.if_then(b.icmp_unsigned("==", b.load(out, typ=PTR), null)):
                b.store(b.atomic_rmw("xchg", slot(b, s), null, "acquire"), out)
        got = b.load(out, typ=PTR)
        have = b.icmp_unsigned("!=", got, null)
        with b.if_then(have):
            with b.if_then(b.icmp_signed("<", b.load(got, typ=I64), nbytes)):
                b.call(free, [got])
                b.store(null, out)
        with b.if_then(b.icmp_unsigned("==", b.load(out, typ=PTR), null)):
            total = _round_up(b, b.add(nbytes, i64(HEADER)), 64)
            p = b.call(aligned_alloc, [i64(64), total])
            with b.if_then(b.icmp_unsigned("!=", p, null)):
                b.store(nbytes, p)          # the header: capacity in bytes
            b.store(p, out)
        return b.load(out, typ=PTR)

    def give(b: ir.IRBuilder, p):
        kept = b.alloca(I1)
        b.store(ir.Constant(I1, 0), kept)
        for s in range(WORKSPACE_SLOTS):
            with b.if_then(b.not_(b.load(kept, typ=I1))):
                pair = b.cmpxchg(slot(b, s), null, p, "acq_rel", "monotonic")
                b.store(b.extract_value(pair, 1), kept)
        with b.if_then(b.not_(b.load(kept, typ=I1))):
            b.call(free, [p])

    return take, give


def emit_gemm(module: ir.Module, cfg: Blocking, elem: ir.Type, threaded: bool) -> ir.Function:
    """Define the exported `fj_gemm_<cfg.name>`, `fj_gemm_<cfg.name>_epi` and
    `fj_gemm_<cfg.name>_post` (and their internal functions) in `module`; `threaded`: large
    products split over the thread pool (`split.py`). The plain and `_epi` entries call the
    `_post` one with no post-ops (a null bias, no ReLU) and, for the plain one, no epilogue.
    Returns the plain entry."""
    serial = emit_serial(module, cfg, elem)
    full = split.emit_entry(module, f"{symbol(cfg)}_post", serial, cfg, threaded)
    null = ir.Constant(PTR, None)
    for name, args, extra in ((f"{symbol(cfg)}_epi", EPI_ARGS, [null, i64(0)]),
                              (symbol(cfg), GEMM_ARGS, [null, null, null, i64(0)])):
        fn = ir.Function(module, ir.FunctionType(I64, args), name=name)
        fn.attributes.add("nounwind")
        for arg, nm in zip(fn.args, ARG_NAMES + ("epi", "ectx")):
            arg.name = nm
        b = ir.IRBuilder(fn.append_basic_block("entry"))
        b.ret(b.call(full, list(fn.args) + extra))
    return fn


def emit_serial(module: ir.Module, cfg: Blocking, elem: ir.Type) -> ir.Function:
    """The one-thread gemm `fj_gemm_<name>_serial` (internal; `SERIAL_ARGS`: the `_epi`
    entry's arguments, then the row and column of this C in the whole product).

    With an epilogue (non-null `epi`), each finished part of C is passed to it once, right
    after its last k block: in the default loop order the `mr x nc` strip of C the A
    micro-panel loop has just completed (still in L1/L2), else the `mc x nc` macro-block;
    for k = 0, the zeroed C. Parts never overlap and cover C exactly once. The post-ops
    (`bias`, `relu`) are the kernels' on the last k block (for k = 0, the kernel's with no k
    steps), so an epilogue sees C after them."""
    vk = VectorKind(module, elem, cfg.lanes)
    mr, nr, kc_max, a_stride = cfg.mr, cfg.nr, cfg.kc, cfg.a_stride
    # A's strides are arguments: A read in place (row-major or transposed) or packed.
    kernel = emit_microkernel(module, f"fj_gemm_{cfg.name}_kernel", vk, mr, cfg.nv,
                              pack_b=True, post_ops=True)
    # A strip of at most half a tile's rows (the last rows of A) costs half a tile this way.
    tail_rows = (mr + 1) // 2
    tail_kernel = emit_microkernel(module, f"fj_gemm_{cfg.name}_kernel_tail", vk, tail_rows,
                                   cfg.nv, post_ops=True)
    transpose = emit_transpose(module, f"fj_gemm_{cfg.name}_transpose", vk)
    pack_a = emit_pack_a(module, f"fj_gemm_{cfg.name}_pack_a", vk, mr, a_stride, transpose)
    pack_b = emit_pack_b(module, f"fj_gemm_{cfg.name}_pack_b", vk, cfg.nv, transpose)
    take, give = _workspace(module, cfg)

    fn = ir.Function(module, ir.FunctionType(I64, SERIAL_ARGS), name=f"{symbol(cfg)}_serial")
    fn.linkage = "internal"
    fn.attributes.add("nounwind")
    # Compiled without optimization (fast instruction selection), like the packing copies:
    # its work per micro-kernel call is a few dozen instructions against the call's
    # thousands of FMAs. Measured on Zen 5: 512^3 float32, the RNN's 32 x 128 products and
    # k-means' 16 x 20000 @ 20000 x 8 run as fast; the module compiles 5 ms faster (44 -> 39).
    fn.attributes.add("optnone")
    fn.attributes.add("noinline")
    m, n, k, a, lda, ta, bp, ldb, tb, c, ldc, epi, ectx, bias, relu, row0, col0 = fn.args
    for arg, nm in zip(fn.args, ARG_NAMES + ("epi", "ectx", "bias", "relu", "row0", "col0")):
        arg.name = nm
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    has_epi = b.icmp_unsigned("!=", epi, ir.Constant(PTR, None))
    has_bias = b.icmp_unsigned("!=", bias, ir.Constant(PTR, None))
    do_relu = b.icmp_signed("!=", relu, i64(0))

    def post_ops(last_k, col):
        """The kernel's `bias, relu` arguments for tiles at column `col` of this C: the
        post-ops on the last k block only."""
        here = b.and_(has_bias, last_k)
        return [b.select(here, vk.at(b, bias, b.add(col0, col)), ir.Constant(PTR, None)),
                b.and_(do_relu, last_k)]
    epi_fn = _callee(b, epi, EPILOGUE_TYPE)

    def epilogue(r, c_col, rows, cols):
        """Hand C[r:r+rows, c_col:c_col+cols] (this call's coordinates) to the epilogue."""
        with b.if_then(has_epi):
            at = vk.at(b, c, b.add(b.mul(r, ldc), c_col))
            b.call(epi_fn, [ectx, at, ldc, b.add(row0, r), b.add(col0, c_col), rows, cols])

    empty = b.or_(b.icmp_signed("<=", m, i64(0)), b.icmp_signed("<=", n, i64(0)))
    with b.if_then(empty):
        b.ret(i64(0))
    with b.if_then(b.icmp_signed("<=", k, i64(0))):
        _zero_c(b, vk, m, n, c, ldc)
        with b.if_then(b.or_(has_bias, do_relu)):
            # The post-ops of zero k steps: the tiles of the kernel with kc = 0.
            with counted(b, 0, m, mr, "zr") as ir_:
                with counted(b, 0, n, nr, "zc") as jr:
                    at = vk.at(b, c, b.add(b.mul(ir_, ldc), jr))
                    b.call(kernel, [i64(0), at, at, i64(0), at, ldc, b.sub(m, ir_), b.sub(n, jr),
                                    ir.Constant(I1, 0), ir.Constant(PTR, None)]
                           + post_ops(ir.Constant(I1, 1), jr) + [i64(0), i64(1)])
        epilogue(i64(0), i64(0), m, n)
        b.ret(i64(0))

    trans_a = b.icmp_signed("!=", ta, i64(0))
    trans_b = b.icmp_signed("!=", tb, i64(0))
    packed_b = b.or_(trans_b, b.icmp_signed(">", m, i64(PACK_B_MIN_M)))
    kc_cap = _imin(b, k, i64(kc_max))
    a_elems = b.mul(_imin(b, _round_up(b, m, mr), i64(cfg.mc)), i64(a_stride))
    b_elems = b.select(packed_b, b.mul(_imin(b, _round_up(b, n, nr), i64(cfg.nc)), kc_cap),
                       i64(0))
    nbytes = b.mul(b.add(a_elems, b_elems), i64(cfg.itemsize))
    ws = take(b, nbytes)
    with b.if_then(b.icmp_unsigned("==", ws, ir.Constant(PTR, None))):
        b.ret(nbytes)
    abuf = b.gep(ws, [i64(HEADER)], source_etype=I8)
    bbuf = vk.at(b, abuf, a_elems)

    with counted(b, 0, n, cfg.nc, "jc") as jc:
        nc = _imin(b, b.sub(n, jc), i64(cfg.nc))
        with counted(b, 0, k, kc_max, "pc") as pc:
            kc = _imin(b, b.sub(k, pc), i64(kc_max))
            accumulate = b.icmp_signed(">", pc, i64(0))
            last_k = b.icmp_signed(">=", b.add(pc, kc), k)
            # A transposed B is packed first; a row-major one by the first strip of tiles.
            with b.if_then(trans_b):
                b.call(pack_b, [bbuf, bp, ldb, trans_b, pc, jc, kc, nc])
            b_in_place = vk.at(b, bp, b.add(b.mul(pc, ldb), jc))
            # In place: B[pc, jc] and row stride ldb; packed: panel j at j * kc, stride nr.
            b_base = b.select(packed_b, bbuf, b_in_place)
            rsb = b.select(packed_b, i64(nr), ldb)
            col_step = b.select(packed_b, kc, i64(1))
            in_place_a = b.or_(trans_a, b.icmp_signed(">=", kc, i64(A_IN_PLACE_MIN_K)))
            with counted(b, 0, m, cfg.mc, "ic") as ic:
                mc = _imin(b, b.sub(m, ic), i64(cfg.mc))
                # Whole micro-panels of A are read in place when it may be; the rest packed.
                full = b.select(in_place_a, b.mul(b.sdiv(mc, i64(mr)), i64(mr)), i64(0))
                with b.if_then(b.icmp_signed("<", full, mc)):
                    b.call(pack_a, [abuf, a, lda, trans_a, b.add(ic, full), pc, b.sub(mc, full),
                                    kc])
                def tile(ir_, jr):
                    a_here = b.icmp_signed("<", ir_, full)
                    # A[i, p] in place: a[i * lda + p], or a[p * lda + i] when transposed.
                    row = b.add(ic, ir_)
                    in_place = vk.at(b, a, b.select(trans_a, b.add(b.mul(pc, lda), row),
                                                    b.add(b.mul(row, lda), pc)))
                    a_panel = b.select(a_here, in_place,
                                       vk.at(b, abuf, b.mul(b.sub(ir_, full), i64(a_stride))))
                    rsa = b.select(a_here, b.select(trans_a, i64(1), lda), i64(a_stride))
                    csa = b.select(b.and_(a_here, trans_a), lda, i64(1))
                    b_panel = vk.at(b, b_base, b.mul(jr, col_step))
                    c_tile = vk.at(b, c, b.add(b.mul(b.add(ic, ir_), ldc), b.add(jc, jr)))
                    args = [kc, a_panel, b_panel, rsb, c_tile, ldc, b.sub(mc, ir_),
                            b.sub(nc, jr), accumulate]
                    first = b.and_(b.and_(packed_b, b.not_(trans_b)),
                                   b.icmp_signed("==", b.or_(ic, ir_), i64(0)))
                    short = b.and_(b.not_(first),
                                   b.icmp_signed("<=", b.sub(mc, ir_), i64(tail_rows)))
                    post = post_ops(last_k, b.add(jc, jr))
                    with b.if_else(short) as (few, many):
                        with few:
                            b.call(tail_kernel, args + post + [rsa, csa])
                        with many:
                            # The first strip packs B as it reads it in place.
                            args[2] = b.select(first, vk.at(b, b_in_place, jr), b_panel)
                            args[3] = b.select(first, ldb, rsb)
                            pack_to = b.select(first, b_panel, ir.Constant(PTR, None))
                            b.call(kernel, args + [pack_to] + post + [rsa, csa])

                if B_PANEL_OUTER:
                    with counted(b, 0, nc, nr, "jr") as jr:
                        with counted(b, 0, mc, mr, "ir") as ir_:
                            tile(ir_, jr)
                    with b.if_then(last_k):
                        epilogue(ic, jc, mc, nc)
                else:
                    with counted(b, 0, mc, mr, "ir") as ir_:
                        with counted(b, 0, nc, nr, "jr") as jr:
                            tile(ir_, jr)
                        # The strip's C rows are final and were just written: transform
                        # them before the next strip evicts them from L1.
                        with b.if_then(last_k):
                            epilogue(b.add(ic, ir_), jc, _imin(b, b.sub(mc, ir_), i64(mr)), nc)
    give(b, ws)
    b.ret(i64(0))
    return fn


def _callee(b: ir.IRBuilder, p, fnty: ir.FunctionType):
    """Opaque pointer `p` as a callee of type `fnty`: llvmlite's `call` needs a callee with a
    function type, and `IRBuilder.bitcast` folds a cast between pointers away; a bitcast to a
    typed function pointer, which LLVM parses back as a no-op `ptr` to `ptr` cast."""
    cast = ir.instructions.CastInstr(b.block, "bitcast", p, ir.PointerType(fnty), "callee")
    b._insert(cast)
    return cast


def _zero_c(b: ir.IRBuilder, vk: VectorKind, m, n, c, ldc) -> None:
    with counted(b, 0, m, 1, "zi") as i:
        row = vk.at(b, c, b.mul(i, ldc))
        with counted(b, 0, n, vk.lanes, "zj") as j:
            vk.masked_store(b, vk.zero, vk.at(b, row, j), vk.lane_mask(b, b.sub(n, j)))
