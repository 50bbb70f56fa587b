"""Graph -> optimized LLVM module: lower, parse, verify, run the O3 pipeline, keep the text."""

from __future__ import annotations

import functools
from typing import Sequence

import llvmlite.binding as llvm

from ..ir import types as T
from ..ir.core import Graph
from . import abi, lutmath, target
from .lower import lower_graph


class CompiledGraph:
    """A graph compiled to native code, ready for a JIT engine (ARCHITECTURE.md).

    Attributes:
      entry_name: the entry point's symbol, `i32 (ptr args, ptr err)` (see `codegen.abi`).
      module: the optimized `llvmlite.binding.ModuleRef`, not yet added to any engine (an
        engine takes ownership of it and mutates it while generating code).
      llvm_ir: the optimized IR text, captured before any engine saw the module.
      asm: the machine code as text (produced on first access from `llvm_ir`, by a separate
        TargetMachine, so `module` is left untouched).
      dims: the symbolic dimensions, in the order of the ABI's dimension array.
      print_sites: `abi.PrintSite` per `print` op, indexed by the site id passed to `fj_print`.
      assert_messages: the message of each `assert` op, indexed by the id in the error record.
      unoptimized_ir: the IR as lowered, before optimization (for debugging).
    """

    def __init__(self, entry_name: str, module: llvm.ModuleRef, llvm_ir: str,
                 dims: tuple[T.Dim, ...], print_sites: list, assert_messages: list,
                 unoptimized_ir: str):
        self.entry_name = entry_name
        self.module = module
        self.llvm_ir = llvm_ir
        self.dims = dims
        self.print_sites = print_sites
        self.assert_messages = assert_messages
        self.unoptimized_ir = unoptimized_ir

    @functools.cached_property
    def asm(self) -> str:
        mod = llvm.parse_assembly(self.llvm_ir)
        return target.asm_target_machine().emit_assembly(mod)

    def exception(self, status: int, err: Sequence[int]) -> BaseException:
        """The Python exception for a failed call's status and error record."""
        return abi.exception_from_status(status, err, self.assert_messages)

    def __repr__(self) -> str:
        return f"<CompiledGraph {self.entry_name}>"


#: LLVM's loop unroller (full and runtime unrolling; the vectorizer still interleaves).
#: Off: measured on the benchmark suite it halves LLVM's time for loop-heavy graphs (kmeans:
#: 1750 -> 450 optimized IR lines, optimize + codegen 165 -> 70 ms) with no loss of steady-
#: state speed: vectorized loops are interleaved by the vectorizer, pairwise sums carry their
#: 8 lanes explicitly, and scalar loops are latency-bound.
LOOP_UNROLLING = False


def optimize(ir_text: str) -> llvm.ModuleRef:
    """Parse, verify and optimize LLVM IR text with the new pass manager at O3 for the host
    CPU (loop and SLP vectorization on; LLVMLITE.md section 2).

    Raises:
      RuntimeError: LLVM's message if the IR does not parse or verify (a flowjit bug).
    """
    mod = llvm.parse_assembly(ir_text)
    mod.verify()
    pto = llvm.create_pipeline_tuning_options(speed_level=3)
    pto.loop_vectorization = True
    pto.slp_vectorization = True
    pto.loop_unrolling = LOOP_UNROLLING
    pb = llvm.create_pass_builder(target.opt_target_machine(), pto)
    pb.getModulePassManager().run(mod, pb)
    if any(f.name.startswith("fj.lut.") for f in mod.functions):
        # the vectorizer has replaced table-function calls by their vector variants: inline
        # those now, so the tables become loop-invariant constants (codegen/lutmath.py)
        post = llvm.create_new_module_pass_manager()
        post.add_always_inliner_pass()
        post.run(mod, pb)
    return mod


def compile_graph(graph: Graph, *, fastmath: bool = False,
                  boundscheck: bool = True) -> CompiledGraph:
    """Compile `graph` to an optimized LLVM module with the ABI of `codegen.abi`.

    Args:
      graph: a verified `flowjit.ir.Graph` (fusion kernels allowed).
      fastmath: put LLVM's `fast` flags on float arithmetic (changes rounding and NaN/inf
        handling; off by default so results match NumPy).
      boundscheck: check traced indices (IndexError); when False, out-of-bounds indices are
        undefined behaviour.

    Raises:
      NotImplementedError: the graph uses an op codegen cannot lower yet (names the op).
    """
    tm = target.opt_target_machine()
    module, fl = lower_graph(graph, fastmath=fastmath, boundscheck=boundscheck,
                             triple=tm.triple, data_layout=str(tm.target_data))
    lutmath.finalize_module(module)
    text = str(module)
    mod = optimize(text)
    return CompiledGraph(fl.fn.name, mod, str(mod), fl.dims_order, fl.print_sites,
                         fl.assert_messages, text)
