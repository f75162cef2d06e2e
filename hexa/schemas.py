"""Schema evolution guard: each event version's committed JSON Schema against its model.

Producers and consumers of one event version are deployed independently, so once a version is
released its contract may only change in ways both old readers and old writers survive.  The
file under ``schemas/`` is that contract as released; comparing it with the model's current
schema catches a breaking change before it is merged, and names the event and field so the fix
(a new version) is obvious.

Which changes break: a required field added (old producers do not send it), a field removed
(old consumers read it), a field whose normalised type changed (either side may choke; this
includes becoming nullable and a changed ``format``), an enum value removed (old producers
still send it).  Adding an optional field or an enum value, or editing a description, keeps
the version but leaves the file stale.  A stale file fails the check too, until ``hexa schemas
write`` refreshes it: otherwise an optional field added and never committed could later be
removed again unnoticed.  Constraints (bounds, patterns, lengths) are not compared.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from shared.errors import PermanentError, Reason
from shared.events.registry import EventSpec

SCHEMAS_DIR = Path(__file__).resolve().parent.parent / "schemas"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

Schema = dict[str, Any]


def path_for(spec: EventSpec, directory: Path) -> Path:
    return directory / f"{spec.name}.v{spec.version}.json"


def document(spec: EventSpec) -> Schema:
    """The model's schema as a consumer validates it, ``$id`` the URN events carry in
    ``dataschema``."""
    return {
        "$schema": JSON_SCHEMA_DIALECT,
        "$id": spec.dataschema,
        **spec.model.model_json_schema(),
    }


def render(spec: EventSpec) -> str:
    """Stable text (sorted keys, trailing newline) so a regenerated file diffs cleanly."""
    return json.dumps(document(spec), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


class Kind(StrEnum):
    REQUIRED_ADDED = "required field added"
    REMOVED = "field removed"
    RETYPED = "field retyped"
    ENUM_VALUE_REMOVED = "enum value removed"


@dataclass(frozen=True, slots=True)
class Incompatibility:
    field: str
    """Dotted path from the event's data: ``insights[].impact``, ``budget_limits.*``."""
    kind: Kind
    detail: str = ""

    def __str__(self) -> str:
        detail = f": {self.detail}" if self.detail else ""
        return f"field '{self.field}': {self.kind}{detail}"


def compare(released: Schema, current: Schema) -> list[Incompatibility]:
    """Every way ``current`` breaks readers or writers of ``released``."""
    return list(_Walk(released, current).objects(released, current, "", frozenset()))


# A node's alternatives (several under anyOf), each as (kind, node, the $ref it came through).
_Alternative = tuple[str, Schema, str | None]
# The pairs of definitions (by $ref) being compared further up, so recursive models terminate.
_Seen = frozenset[tuple[str | None, str | None]]


@dataclass(frozen=True, slots=True)
class _Walk:
    old_root: Schema
    new_root: Schema

    def objects(
        self, old: Schema, new: Schema, path: str, seen: _Seen
    ) -> Iterator[Incompatibility]:
        old_fields, new_fields = old.get("properties", {}), new.get("properties", {})
        newly_required = set(new.get("required", ())) - set(old.get("required", ()))
        for name, old_field in old_fields.items():
            where = _join(path, name)
            if name not in new_fields:
                yield Incompatibility(where, Kind.REMOVED)
            else:
                yield from self.values(old_field, new_fields[name], where, seen)
        for name in new_fields:
            if name in newly_required:
                detail = "it was optional" if name in old_fields else ""
                yield Incompatibility(_join(path, name), Kind.REQUIRED_ADDED, detail)

    def values(self, old: Any, new: Any, path: str, seen: _Seen) -> Iterator[Incompatibility]:
        old_alts = _alternatives(old, self.old_root)
        new_alts = _alternatives(new, self.new_root)
        old_kinds, new_kinds = [a[0] for a in old_alts], [a[0] for a in new_alts]
        if old_kinds != new_kinds:
            detail = f"{'|'.join(old_kinds)} -> {'|'.join(new_kinds)}"
            yield Incompatibility(path, Kind.RETYPED, detail)
            return
        pairs = zip(old_alts, new_alts, strict=True)
        for (kind, old_node, old_ref), (_, new_node, new_ref) in pairs:
            if kind == "enum":
                removed = [v for v in old_node["enum"] if v not in new_node["enum"]]
                if removed:
                    detail = ", ".join(map(str, removed))
                    yield Incompatibility(path, Kind.ENUM_VALUE_REMOVED, detail)
            elif kind == "object" and (old_ref, new_ref) not in seen:
                inner = seen | {(old_ref, new_ref)} if old_ref or new_ref else seen
                yield from self.objects(old_node, new_node, path, inner)
            elif kind == "array":
                old_items, new_items = old_node.get("items", {}), new_node.get("items", {})
                yield from self.values(old_items, new_items, f"{path}[]", seen)
            elif kind == "map":
                old_values = old_node.get("additionalProperties", {})
                new_values = new_node.get("additionalProperties", {})
                yield from self.values(old_values, new_values, f"{path}.*", seen)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _alternatives(node: Any, root: Schema, ref: str | None = None) -> list[_Alternative]:
    """The normalised type signature of a schema node, sorted by kind.

    Kinds are ``enum``, ``object`` (with fields), ``map`` (free keys), ``array``, ``any``, and
    the scalar JSON types with their ``format`` (``string(date-time)``).  ``$ref`` is followed,
    ``anyOf``/``oneOf`` and type lists are flattened, so ``int | None`` is ``integer|null``.
    """
    if node is True or node == {}:
        return [("any", {}, ref)]
    if "$ref" in node:
        target = node["$ref"]
        return _alternatives(_resolve(target, root), root, target)
    members = node.get("anyOf") or node.get("oneOf")
    if members:
        flat = [alt for member in members for alt in _alternatives(member, root, ref)]
        return sorted(flat, key=lambda alt: alt[0])
    if "const" in node:
        return [("enum", {"enum": [node["const"]]}, ref)]
    if "enum" in node:
        return [("enum", node, ref)]
    types = node.get("type", [])
    found: list[_Alternative] = []
    for json_type in [types] if isinstance(types, str) else types:
        if json_type == "object":
            found.append(("object" if "properties" in node else "map", node, ref))
        elif "format" in node:
            found.append((f"{json_type}({node['format']})", node, ref))
        else:
            found.append((json_type, node, ref))
    return sorted(found, key=lambda alt: alt[0]) or [("any", node, ref)]


def _resolve(ref: str, root: Schema) -> Any:
    # pydantic only ever refers to its own definitions: "#/$defs/<Name>".
    return root["$defs"][ref.removeprefix("#/$defs/")]


class Status(StrEnum):
    CURRENT = "current"
    STALE = "stale"
    MISSING = "missing"
    INCOMPATIBLE = "incompatible"


@dataclass(frozen=True, slots=True)
class Report:
    spec: EventSpec
    path: Path
    status: Status
    incompatibilities: tuple[Incompatibility, ...] = ()


def check(spec: EventSpec, directory: Path = SCHEMAS_DIR) -> Report:
    """How the committed schema of ``spec``'s current version relates to its model."""
    path = path_for(spec, directory)
    if not path.exists():
        return Report(spec, path, Status.MISSING)
    try:
        released = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:  # UnicodeDecodeError included
        raise PermanentError(Reason.MALFORMED_JSON, f"{path} is not JSON: {exc}") from None
    current = document(spec)
    problems = tuple(compare(released, current))
    if problems:
        return Report(spec, path, Status.INCOMPATIBLE, problems)
    return Report(spec, path, Status.CURRENT if released == current else Status.STALE)


def write(spec: EventSpec, directory: Path = SCHEMAS_DIR) -> Report:
    """Write the schema if it is missing or stale; never over an incompatible change.

    Returns the status found before writing.  Refusing the incompatible case is the point of
    the guard: otherwise ``write`` would launder a breaking change into the released contract.
    """
    report = check(spec, directory)
    if report.status in (Status.MISSING, Status.STALE):
        directory.mkdir(parents=True, exist_ok=True)
        report.path.write_text(render(spec), encoding="utf-8")
    return report
