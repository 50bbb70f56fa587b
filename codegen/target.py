"""The host's LLVM target: triple, CPU, features and the TargetMachines built from them, once."""

from __future__ import annotations

import functools

import llvmlite.binding as llvm

# llvm.initialize() is gone in llvmlite >= 0.45 (it raises); targets still need these two.
llvm.initialize_native_target()
llvm.initialize_native_asmprinter()

TRIPLE: str = llvm.get_process_triple()
CPU: str = llvm.get_host_cpu_name()
FEATURES: str = llvm.get_host_cpu_features().flatten()

#: AVX-512F: zmm registers, `vpermi2ps` (codegen/lutmath.py), `vscalefps/pd` (exact ldexp,
#: codegen/vecmath.py `exp`).
HAS_AVX512F: bool = "+avx512f" in FEATURES.split(",")

#: Identifies the machine code this process generates (part of any object-cache key).
MAGIC = (TRIPLE, CPU, FEATURES)


def make_target_machine() -> llvm.TargetMachine:
    """A new host TargetMachine (O3, JIT code model, the host CPU's name and features).

    A JIT engine takes ownership of the machine it is given (LLVMLITE.md pitfall 1), so the
    runtime must call this for its engine rather than share `opt_target_machine()`.
    """
    target = llvm.Target.from_triple(TRIPLE)
    return target.create_target_machine(cpu=CPU, features=FEATURES, opt=3, reloc="default",
                                        codemodel="jitdefault", jit=True)


@functools.cache
def opt_target_machine() -> llvm.TargetMachine:
    """The process-wide machine used by the optimizer (cost model, data layout)."""
    return make_target_machine()


@functools.cache
def asm_target_machine() -> llvm.TargetMachine:
    """A separate machine used only to print assembly, so no engine ever owns it."""
    return make_target_machine()


def data_layout() -> str:
    return str(opt_target_machine().target_data)
