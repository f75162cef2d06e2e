"""Loading user code the way the Pulsar Python runtime does (``util.import_class``).

The code directory goes first on ``sys.path``; ``serde.X`` always means
``pulsar.functions.serde.X``; a dotted name is module + attribute, a bare name is a module.
The class is built once with no arguments, and if that raises (or the target is a module)
the runtime falls back to "pure" mode and calls ``target.process(input)`` with no context.
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulsar.functions.serde as pulsar_serde


class LoadError(ImportError):
    """The configured class or SerDe cannot be imported."""


def import_class(code_dir: Path | None, name: str) -> Any:
    if code_dir is not None and str(code_dir) not in sys.path:
        sys.path.insert(0, str(code_dir))
    module_name, _, attr = name.rpartition(".")
    if module_name == "serde":
        try:
            return getattr(pulsar_serde, attr)
        except AttributeError:
            raise LoadError(f"no SerDe named {name}") from None
    try:
        if not module_name:
            return importlib.import_module(name)
        return getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise LoadError(f"cannot import {name}: {exc}") from exc


@dataclass(frozen=True)
class LoadedFunction:
    """What ``process`` is called on, and whether it takes a context."""

    target: Any
    with_context: bool

    def call(self, value: Any, context: Any) -> Any:
        if self.with_context:
            return self.target.process(value, context)
        return self.target.process(value)


def load_function(class_name: str, code_dir: Path | None = None) -> LoadedFunction:
    target = import_class(code_dir, class_name)
    try:
        return LoadedFunction(target(), with_context=True)
    except Exception:
        # The runtime's fallback, faithfully: a constructor that raises (or a module, which
        # cannot be called) turns the function into a pure one.
        return LoadedFunction(target, with_context=False)


def load_serde(class_name: str, code_dir: Path | None = None) -> Any:
    """A SerDe instance; the runtime builds one per input topic, output, and publish name."""
    return import_class(code_dir, class_name)()
