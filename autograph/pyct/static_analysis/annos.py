"""Annotation keys written by the static analyses (re-exported from pyct.anno)."""

from ..anno import Static as NodeAnno  # noqa: F401
