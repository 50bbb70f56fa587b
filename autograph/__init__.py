"""AutoGraph: rewrites Python control flow on traced values into graph ops (public API)."""

from .conversion import convert, do_not_convert, source_map, to_code

__all__ = ["convert", "do_not_convert", "source_map", "to_code"]
