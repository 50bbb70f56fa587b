"""Hand-written ABI entry points (LLVM IR text) for testing the runtime without codegen."""

import itertools

import numpy as np

from flowjit.runtime import jit

_ids = itertools.count()

LLVM_TYPE = {np.dtype(np.float64): "double", np.dtype(np.float32): "float",
             np.dtype(np.int64): "i64", np.dtype(np.int32): "i32", np.dtype(np.bool_): "i8"}


def _header():
    triple, layout = jit.triple_and_layout()
    return f'target triple = "{triple}"\ntarget datalayout = "{layout}"\n'


def _arg(i):
    return (f"  %g{i} = getelementptr inbounds ptr, ptr %args, i64 {i}\n"
            f"  %p{i} = load ptr, ptr %g{i}\n")


def map_entry(dtype, count, op, n_in=1, n_out=1, count_from_dims=False):
    """`out_k[i] = op(in_0[i], ..., in_{n-1}[i])` for i < count, for every output k.

    `op` is LLVM IR with `{a0}`, `{a1}`... for the loaded inputs and `{r}` for the result, e.g.
    "{r} = fadd double {a0}, 1.0". With `count_from_dims`, the count is `dims[0]`.
    Returns the entry's address.
    """
    ty = LLVM_TYPE[np.dtype(dtype)]
    name = f"test_map_{next(_ids)}"
    n = n_in + n_out
    body = "".join(_arg(i) for i in range(n))
    if count_from_dims:
        body += _arg(n) + "  %n = load i64, ptr %p{}\n".format(n)
    else:
        body += f"  %n = add i64 0, {count}\n"
    loads = "".join(f"  %e{j} = getelementptr inbounds {ty}, ptr %p{j}, i64 %i\n"
                    f"  %a{j} = load {ty}, ptr %e{j}\n" for j in range(n_in))
    stores = "".join(f"  %o{k} = getelementptr inbounds {ty}, ptr %p{n_in + k}, i64 %i\n"
                     f"  store {ty} %r, ptr %o{k}\n" for k in range(n_out))
    expr = "  " + op.format(r="%r", **{f"a{j}": f"%a{j}" for j in range(n_in)}) + "\n"
    text = _header() + f"""
define i32 @{name}(ptr %args, ptr %err) {{
entry:
{body}  %empty = icmp sle i64 %n, 0
  br i1 %empty, label %done, label %loop
loop:
  %i = phi i64 [0, %entry], [%inext, %loop]
{loads}{expr}{stores}  %inext = add i64 %i, 1
  %more = icmp slt i64 %inext, %n
  br i1 %more, label %loop, label %done
done:
  ret i32 0
}}
"""
    return jit.load_ir(text, name)


def status_entry(status, fields=(0, 0, 0, 0)):
    """An entry that fills the error record with `fields` and returns `status`."""
    name = f"test_status_{next(_ids)}"
    stores = "".join(f"  %f{i} = getelementptr inbounds i64, ptr %err, i64 {i}\n"
                     f"  store i64 {v}, ptr %f{i}\n" for i, v in enumerate(fields))
    text = _header() + f"""
define i32 @{name}(ptr %args, ptr %err) {{
{stores}  ret i32 {status}
}}
"""
    return jit.load_ir(text, name)


def print_entry(n_operands, ndims):
    """An entry that calls `fj_print(0, slots)` with its inputs: slot k is (data of input k,
    pointer to a shape array) where the shapes come from the dims array: input k has
    `ndims[k]` dimensions, read consecutively from `dims`. Then `fj_print(1, ...)` likewise,
    so two sites run in order."""
    name = f"test_print_{next(_ids)}"
    body = "".join(_arg(i) for i in range(n_operands + 1))
    dims_ptr = f"%p{n_operands}"
    body += f"  %slots = alloca [{2 * max(n_operands, 1)} x ptr]\n"
    offset = 0
    for k in range(n_operands):
        body += (f"  %sd{k} = getelementptr inbounds ptr, ptr %slots, i64 {2 * k}\n"
                 f"  store ptr %p{k}, ptr %sd{k}\n"
                 f"  %shp{k} = getelementptr inbounds i64, ptr {dims_ptr}, i64 {offset}\n"
                 f"  %ss{k} = getelementptr inbounds ptr, ptr %slots, i64 {2 * k + 1}\n"
                 f"  store ptr %shp{k}, ptr %ss{k}\n")
        offset += ndims[k]
    text = _header() + f"""
declare void @fj_print(i64, ptr)

define i32 @{name}(ptr %args, ptr %err) {{
{body}  call void @fj_print(i64 0, ptr %slots)
  call void @fj_print(i64 1, ptr %slots)
  ret i32 0
}}
"""
    return jit.load_ir(text, name)
