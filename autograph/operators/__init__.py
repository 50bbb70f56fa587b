"""The runtime half of AutoGraph: the `ag__` namespace that converted code calls.

Each operator dispatches on its argument: a traced value stages graph ops through
`flowjit.ir`; a Python or NumPy value runs plain Python, exactly as Python would.
"""

from .call import converted_call
from .control_flow import for_stmt, if_exp, if_stmt, while_stmt
from .effects import assert_, print_
from .logical import and_, compare_chain, not_, or_
from .lists import list_append
from . import call as _call, lists as _lists; _lists.register_overloads(_call._OVERLOADS)  # noqa
from .slices import set_item
from .py_builtins import enumerate_, len_, max_, min_, range_, zip_
from .variables import Undefined, UndefinedReturnValue, ld, retval

__all__ = [
    "converted_call", "for_stmt", "if_exp", "if_stmt", "while_stmt", "assert_", "print_",
    "and_", "compare_chain", "not_", "or_", "enumerate_", "len_", "max_", "min_", "range_",
    "zip_", "list_append", "set_item", "Undefined", "UndefinedReturnValue", "ld", "retval",
]
