"""flowjit: compile plain Python + NumPy functions with control flow to native CPU code.

    import flowjit as fj

    @fj.function
    def f(x):
        ...

See API.md in the project's documentation for the contract.
"""

from . import config, errors
from .errors import ConversionError, FlowJitError, StagingError

__version__ = "0.1.0"


def __getattr__(name):
    # Heavy subpackages (llvmlite, the op registry) load on first use, keeping `import flowjit`
    # cheap and free of import cycles.
    import importlib

    lazy = {
        "function": ("flowjit.api", "function"),
        "Function": ("flowjit.runtime.function", "Function"),
        "ConcreteFunction": ("flowjit.runtime.function", "ConcreteFunction"),
        "TensorSpec": ("flowjit.runtime.signature", "TensorSpec"),
        "cond": ("flowjit.ir.ops.control_flow", "cond"),
        "while_loop": ("flowjit.ir.ops.control_flow", "while_loop"),
        "autograph": ("flowjit.autograph", None),
        "ir": ("flowjit.ir", None),
    }
    if name not in lazy:
        raise AttributeError(f"module 'flowjit' has no attribute {name!r}")
    module_name, attr = lazy[name]
    module = importlib.import_module(module_name)
    value = module if attr is None else getattr(module, attr)
    globals()[name] = value
    return value
