"""Register tiles and cache blocks per instruction set and dtype.

The tile `mr x (nv * lanes)` fills the vector register file with accumulators (BLIS's rule,
Low et al., "Analytical Modeling Is Enough for High-Performance BLIS", TOMS 2016): AVX-512 has
32 registers; 11 x 2 vectors = 22 accumulators + 2 B vectors + broadcasts. 11 rather than the
14 that fit: a 32- or 64-row product (an RNN batch) wastes 3% of a last tile instead of 24%,
and measured on Zen 5 the 512^3 product runs as fast (97% of the FMA peak) as with 14 x 2 or
8 x 3. AVX2 has 16 registers, so Haswell's classic 6 x 2 = 12 accumulators. `kc` keeps the
`mr x kc` A micro-panel and a `kc x nr` B micro-panel in L1 (48 KB here), `mc x kc` of A in
L2, `kc x nc` of B in L2/L3 (Goto & van de Geijn 2008, section 6); measured: kc 256 beats
128/384/512, mc 132 beats 66/264 (with nc 1024). AVX-512 float32 then moved to kc 512 and
nc 512 (a 1 MB packed B block, as before; the A micro-panel, 11 x 512, still fits L1 next to
the streamed B panels): half the k blocks, so half the C tile reloads and kernel calls;
measured on Zen 5, one core: 512^3 1.15 -> 1.09 ms, 1024^3 9.26 -> 8.68 ms, 2048^3 74 -> 72 ms.
Since A is read in place and B packed by the first strip (`driver.py`), nc 256 (a 512 KB B
block, half the L2) beats 512 by 1-2% at 512^3 (the mlp_layer benchmark against JAX in the
same process: 1.010x -> 1.020-1.026x) and is the same at 1024^3 and 2048^3; kc 256 or 384
measured 2-4% slower.
"""

from __future__ import annotations

import dataclasses

from .. import target


@dataclasses.dataclass(frozen=True)
class Blocking:
    """One gemm configuration: `name` is the dtype's short name (`f32`/`f64`)."""
    name: str
    lanes: int      # elements per vector register
    mr: int         # tile rows (broadcast A values)
    nv: int         # tile width in vectors (nr = nv * lanes columns)
    kc: int         # k block (the packed A row stride)
    mc_target: int  # rows of A per packed block (rounded down to a multiple of mr)
    nc_target: int  # columns of B per packed block (rounded down to a multiple of nr)

    @property
    def nr(self) -> int:
        return self.nv * self.lanes

    @property
    def mc(self) -> int:
        return max(self.mr, self.mc_target // self.mr * self.mr)

    @property
    def nc(self) -> int:
        # Packed B panels are nr wide: a block must hold whole panels (the buffer's size).
        return max(self.nr, self.nc_target // self.nr * self.nr)

    @property
    def itemsize(self) -> int:
        return 4 if self.name == "f32" else 8

    @property
    def a_stride(self) -> int:
        """Row stride (elements) of a packed A block: kc plus one cache line, so that the rows
        (read together, one broadcast each per k step) do not all map to the same few L1 sets
        as a power-of-two stride would (measured: 20000x8 @ 8x16 float64 100 -> 75 us)."""
        return self.kc + 64 // self.itemsize


def _features() -> set[str]:
    return {f[1:] for f in target.FEATURES.split(",") if f.startswith("+")}


def vector_isa() -> str | None:
    """`"avx512"` (AVX-512F: 512-bit FMA), `"avx2"` (AVX2 + FMA), or None (no kernel: BLAS)."""
    feats = _features()
    if "avx512f" in feats and "fma" in feats:
        return "avx512"
    if "avx2" in feats and "fma" in feats:
        return "avx2"
    return None


_TABLE = {
    "avx512": {"f32": Blocking("f32", 16, 11, 2, 512, 132, 256),
               "f64": Blocking("f64", 8, 11, 2, 256, 132, 512)},
    "avx2": {"f32": Blocking("f32", 8, 6, 2, 256, 72, 4096),
             "f64": Blocking("f64", 4, 6, 2, 256, 72, 2048)},
}


def blocking(name: str, isa: str | None = None) -> Blocking | None:
    """The configuration for dtype `name` (`"f32"`/`"f64"`) on `isa` (default: the host's)."""
    isa = isa or vector_isa()
    return _TABLE.get(isa, {}).get(name) if isa else None
