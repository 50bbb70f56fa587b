"""The Mandelbrot set as native code: scalar per-pixel loops with `while`, `break` and
`out[i, j] = n`, written as plain Python.

flowjit turns the two `for` loops and the `while` into nested `while_loop` ops, the `if` with
`break` into a `cond` and a loop flag, and `out[i, j] = n` into an in-place update; the result
is an image of escape counts, written as a PGM file (NumPy only).

    python examples/mandelbrot.py [width height [out.pgm]]
"""

import sys
import time

import numpy as np

import flowjit as fj


def mandelbrot(xs, ys, max_iter):
    """Escape count of every pixel (the same semantics as benchmarks/workloads.py)."""
    height = ys.shape[0]
    width = xs.shape[0]
    out = np.zeros((height, width), dtype=np.int64)
    for i in range(height):
        ci = ys[i]
        for j in range(width):
            cr = xs[j]
            zr = 0.0
            zi = 0.0
            n = 0
            while n < max_iter:
                zr2 = zr * zr
                zi2 = zi * zi
                if zr2 + zi2 > 4.0:
                    break
                zi = 2.0 * zr * zi + ci
                zr = zr2 - zi2 + cr
                n += 1
            out[i, j] = n
    return out


compiled = fj.function(mandelbrot)


def grid(width, height):
    """The classic view: real part in [-2, 1], imaginary part in [-1, 1]."""
    return np.linspace(-2.0, 1.0, width), np.linspace(-1.0, 1.0, height)


def write_pgm(path, counts, max_iter):
    """A binary PGM (P5) image: points of the set black, the slower a point escapes the
    brighter it is."""
    shade = np.where(counts >= max_iter, 0, np.sqrt(counts / max_iter) * 255)
    pixels = shade.astype(np.uint8)
    with open(path, "wb") as f:
        f.write(b"P5\n%d %d\n255\n" % (pixels.shape[1], pixels.shape[0]))
        f.write(pixels.tobytes())


def main(width: int = 600, height: int = 400, path: str = "mandelbrot.pgm",
         max_iter: int = 100) -> None:
    xs, ys = grid(width, height)
    t0 = time.perf_counter()
    counts = compiled(xs, ys, max_iter)
    t_first = time.perf_counter() - t0
    t0 = time.perf_counter()
    counts = compiled(xs, ys, max_iter)
    t_native = time.perf_counter() - t0
    if path:
        write_pgm(path, counts, max_iter)
    inside = int((counts >= max_iter).sum())
    print(f"Mandelbrot {width}x{height}, max_iter={max_iter}: {inside} points inside the set"
          + (f", image written to {path}" if path else ""))
    print(f"  native: {t_native * 1e3:.1f} ms ({t_native / counts.size * 1e9:.0f} ns/pixel; "
          f"first call with trace + compile: {t_first:.2f} s)")

    # Eager check on a small grid: plain Python is far slower.
    sw, sh = min(width, 60), min(height, 40)
    sxs, sys_ = grid(sw, sh)
    t0 = time.perf_counter()
    expected = mandelbrot(sxs, sys_, max_iter)
    t_eager = time.perf_counter() - t0
    got = compiled(sxs, sys_, max_iter)  # A new shape: traced and compiled once more.
    assert got.dtype == expected.dtype and np.array_equal(got, expected), (got, expected)
    t0 = time.perf_counter()
    compiled(sxs, sys_, max_iter)
    t_small = time.perf_counter() - t0
    eager_px, native_px = t_eager / expected.size, t_small / expected.size
    print(f"  eager check on {sw}x{sh} passes: eager {eager_px * 1e6:.1f} us/pixel, native "
          f"{native_px * 1e9:.0f} ns/pixel on the same grid; speed-up over eager Python: "
          f"{eager_px / native_px:.0f}x")


if __name__ == "__main__":
    args = sys.argv[1:]
    main(int(args[0]) if args else 600, int(args[1]) if len(args) > 1 else 400,
         args[2] if len(args) > 2 else "mandelbrot.pgm")
