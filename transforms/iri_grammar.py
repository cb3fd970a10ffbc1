"""rfc3987-syntax's IRI grammar, built when an IRI is first checked rather than when jsonschema is imported.

jsonschema (installed with its ``format-nongpl`` extra) imports rfc3987-syntax at its own import, to
check the "iri" and "iri-reference" formats, and that import builds a Lark grammar: 1.23 s of
jsonschema's 1.37 s import (``python -X importtime``). Every process that imports jsonschema pays it,
or Great Expectations, which imports jsonschema (a third of GE's import): the driver of each run that
validates, and each Python worker that words a rejected record's schema errors
(``schema_check.DatasetChecker.reference``), whether or not it ever checks an IRI. Only the DCAT-US
3.0 schemas use "iri", and only for a record the fast validator has rejected.

``defer_iri_grammar`` puts a stand-in in ``sys.modules``: the real module is imported, grammar and
all, on the stand-in's first use, and answers every call from then on.
"""

import importlib
import importlib.util
import sys
import threading
import types

MODULE = "rfc3987_syntax"
_LOADING = threading.Lock()


def defer_iri_grammar() -> None:
    """Make the next ``import rfc3987_syntax`` (jsonschema's) cheap: a stand-in that imports the real
    module when it is first used. Nothing when it is imported already or not installed (then jsonschema
    checks no IRI, with or without this)."""
    spec = None if MODULE in sys.modules else importlib.util.find_spec(MODULE)
    if spec is None:
        return
    stand_in = types.ModuleType(
        MODULE, "Stands in for rfc3987_syntax until first used (transforms.iri_grammar)."
    )
    stand_in.__spec__ = spec  # what importlib.util.find_spec answers while the stand-in is in place
    stand_in.__getattr__ = _from_real_module  # type: ignore[method-assign]  # PEP 562: names it lacks
    # jsonschema binds this name at its import, so it is a function of the stand-in's own.
    stand_in.is_valid_syntax = is_valid_syntax  # type: ignore[attr-defined]
    sys.modules[MODULE] = stand_in


def is_valid_syntax(term: str, value: str) -> bool:
    """rfc3987_syntax.is_valid_syntax, the real module imported on the first call."""
    return real_module().is_valid_syntax(term, value)


def real_module() -> types.ModuleType:
    """The real rfc3987_syntax, imported (in place of the stand-in) on first call."""
    with _LOADING:
        module = sys.modules.get(MODULE)
        if module is None or getattr(module, "is_valid_syntax", None) is is_valid_syntax:
            sys.modules.pop(MODULE, None)
            module = importlib.import_module(MODULE)
        return module


def _from_real_module(name: str):
    # Not the import system's questions (``__path__``: is it a package?), which every import asks.
    if name.startswith("__"):
        raise AttributeError(name)
    return getattr(real_module(), name)
