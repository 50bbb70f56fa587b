"""codegen/buffers.py: intermediate buffers of 64 KiB..64 MiB are reused across calls (no page
faults per call), blocks of other sizes are not mixed up, the cache stays bounded, and
concurrent calls from Python threads get disjoint buffers."""

import ctypes
import resource
import threading

import llvmlite.binding as llvm
import numpy as np

import flowjit as fj
from flowjit.codegen import buffers


def _native():
    buffers.install()
    alloc = ctypes.CFUNCTYPE(ctypes.c_void_p, ctypes.c_int64)(
        llvm.address_of_symbol(buffers.ALLOC))
    free = ctypes.CFUNCTYPE(None, ctypes.c_void_p)(llvm.address_of_symbol(buffers.FREE))
    return alloc, free


def test_a_freed_block_serves_the_next_request_of_its_size():
    alloc, free = _native()
    n = 3 << 20
    p = alloc(n)
    ctypes.memset(p, 7, n)             # the whole block is usable
    free(p)
    assert alloc(n) == p               # same rounded size: the cached block
    other = alloc(n + 2 * buffers.PAGE)
    assert other != p                  # another size: not that block
    free(p)
    free(other)


def test_small_and_huge_blocks_bypass_the_cache():
    alloc, free = _native()
    for n in (0, 1, 100, buffers.MIN_BYTES - 1, buffers.MAX_BYTES + 1):
        p = alloc(n)
        assert p and p % 16 == 0
        if n:
            ctypes.memset(p, 1, n)
        held = buffers.cached_bytes()
        free(p)
        assert buffers.cached_bytes() == held      # went back to libc, not into a slot


def test_cache_holds_at_most_its_slots():
    alloc, free = _native()
    n = 1 << 20
    earlier = buffers.cached_bytes()   # blocks other tests left (other sizes)
    blocks = [alloc(n) for _ in range(3 * buffers.SLOTS)]
    assert len(set(blocks)) == len(blocks)
    for p in blocks:
        free(p)                         # beyond SLOTS blocks go back to libc
    assert earlier < buffers.cached_bytes() <= earlier + buffers.SLOTS * n
    again = [alloc(n) for _ in range(3 * buffers.SLOTS)]
    assert buffers.cached_bytes() <= earlier    # every cached 1 MiB block was handed out
    for p in again:
        free(p)


def _temporaries(x):
    y = np.cumsum(x)                    # a materialized intermediate (a scan: not fused)
    return np.maximum(y * 2.0 + 1.0, 0.0)[::-1].copy()


def test_repeated_calls_do_not_fault_in_their_temporaries():
    f = fj.function(_temporaries)
    x = np.random.default_rng(0).standard_normal(1 << 20)     # 8 MiB per buffer
    f(x)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(10):
        out = f(x)
    faults = (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 10
    # each 8 MiB buffer faulted in afresh would be 2048 faults; outputs are NumPy's own
    assert faults < 2048, faults
    np.testing.assert_array_equal(out, _temporaries(x))


def test_concurrent_calls_get_their_own_buffers():
    f = fj.function(_temporaries)
    inputs = [np.random.default_rng(k).standard_normal((1 << 15) + 512 * k) for k in range(6)]
    want = [_temporaries(x) for x in inputs]
    errors = []

    def work(k):
        try:
            for _ in range(20):
                np.testing.assert_array_equal(f(inputs[k]), want[k])
        except Exception as e:          # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(len(inputs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors[0]
