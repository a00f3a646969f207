"""The compiled loops (``search/*.pyx``), or an error that says how to build
them: a source checkout that pip has not built has only their sources."""

try:
    from . import bm25, merge, probe
except ImportError as error:
    raise ImportError(
        "search/bm25.pyx, merge.pyx and probe.pyx are not compiled: install the project with "
        "`pip install -e .` (Cython compiles them; a C compiler is needed)"
    ) from error

__all__ = ["bm25", "merge", "probe"]
