"""Committed JSON Schemas of every event type, and the backward-compatibility check.

``python -m wja_schemas.snapshot --write`` writes ``schemas/<producer>/<ce_type>.json``;
``python -m wja_schemas.snapshot --check`` exits non-zero listing every change that is not
backward compatible with the committed files (and every committed file that is out of date).

Compatible means additive: new optional properties, new enum values, looser constraints, new
descriptions. Breaking: a property removed, a type changed or narrowed (an enum value removed,
an enum where there was none, a format or pattern added or changed, a limit tightened), a new
required property, an optional property made required, ``additionalProperties`` closed, a
changed ``$id``, or a committed event type with no model any more. ``$ref``/``$defs`` are followed.

Two changes look breaking to that list but are not, and pass (the 2026-11-30 re-baseline,
CHANGELOG.md): ``format: date-time`` added to a string whose committed description already
promised an RFC 3339 time (``UtcDatetime``'s: its serializer always wrote RFC 3339 in UTC, so
the values are the same and the keyword states what the words did), and ``$id`` moved from the bare
``<ce_type>`` to ``urn:wja:schema:<ce_type>`` (the same type, named by an absolute URI as
CloudEvents ``dataschema`` requires).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from wja_schemas import EVENT_TYPES, schema_id

ROOT = Path(__file__).resolve().parents[2]
"""The ``schemas/`` directory of the repository (where snapshots are committed)."""

Schema = dict[str, Any]

_UPPER_LIMITS = ("maxLength", "maximum", "exclusiveMaximum", "maxItems", "maxProperties")
_LOWER_LIMITS = ("minLength", "minimum", "exclusiveMinimum", "minItems", "minProperties")
_PROMISED_IN_WORDS = {"date-time": "RFC 3339"}
"""A format that may be added where the committed description already promised it in these words."""
_JSON_KIND = {type(None): "null", bool: "boolean", int: "integer", float: "number", str: "string"}


def snapshot_path(ce_type: str, root: Path = ROOT) -> Path:
    """Return where the committed schema of ``ce_type`` lives: ``<root>/<producer>/<ce_type>.json``."""
    producer = ce_type.split(".")[1]
    return root / producer / f"{ce_type}.json"


def render(schema: Schema) -> str:
    """Return the canonical text of a schema file: sorted keys, 2-space indent, trailing newline."""
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def current() -> dict[str, Schema]:
    """Return the schema of every registered event type, as the code defines it now."""
    return {ce_type: model.json_schema() for ce_type, model in sorted(EVENT_TYPES.items())}


def committed(root: Path = ROOT) -> dict[Path, Schema]:
    """Return every committed schema file under ``root`` (``<producer>/wja.*.json``), by path."""
    return {path: json.loads(path.read_text()) for path in sorted(root.glob("*/wja.*.json"))}


def _resolve(node: Schema, root: Schema) -> Schema:
    """Follow ``$ref`` into ``root['$defs']``; sibling keywords of the reference win."""
    seen: set[str] = set()
    while "$ref" in node and node["$ref"] not in seen:
        seen.add(node["$ref"])
        target = root.get("$defs", {}).get(node["$ref"].split("/")[-1], {})
        node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _branches(node: Schema, root: Schema) -> list[Schema]:
    """Split a schema into alternatives, one JSON type each (``anyOf``/``oneOf``/type lists)."""
    node = _resolve(node, root)
    for key in ("anyOf", "oneOf"):
        if key in node:
            return [b for sub in node[key] for b in _branches(sub, root)]
    kind = node.get("type")
    if isinstance(kind, list):
        return [{**node, "type": k} for k in kind]
    return [node]


def _kind(branch: Schema) -> str:
    """Return the JSON type a branch accepts (``any`` when it does not say)."""
    if "type" in branch:
        return str(branch["type"])
    values = branch["enum"] if "enum" in branch else [branch["const"]] if "const" in branch else None
    if values:
        kinds = {_JSON_KIND.get(type(v), "object") for v in values}
        return kinds.pop() if len(kinds) == 1 else "any"
    if "properties" in branch:
        return "object"
    return "any"


def _accepts(new_kind: str, old_kind: str) -> bool:
    """Whether a ``new_kind`` branch accepts every value of an ``old_kind`` branch's type."""
    return new_kind in (old_kind, "any") or (new_kind, old_kind) == ("number", "integer")


def _values(branch: Schema) -> list[Any] | None:
    if "enum" in branch:
        return list(branch["enum"])
    if "const" in branch:
        return [branch["const"]]
    return None


class _Comparison:
    """One walk over an old and a new schema, collecting breaking changes."""

    def __init__(self, old_root: Schema, new_root: Schema) -> None:
        self.old_root, self.new_root = old_root, new_root
        self.out: list[str] = []

    def node(self, old: Schema, new: Schema, path: str) -> None:
        new_branches = _branches(new, self.new_root)
        for old_branch in _branches(old, self.old_root):
            kind = _kind(old_branch)
            matches = [b for b in new_branches if _accepts(_kind(b), kind)]
            if not matches:
                self.out.append(f"{path}: type narrowed ({kind} no longer accepted)")
                continue
            # Compare with the alternative that fits best: same type first, then the least constrained.
            matches.sort(key=lambda b: (_kind(b) != kind, len(b)))
            self.branch(old_branch, matches[0], path)

    def branch(self, old: Schema, new: Schema, path: str) -> None:
        self._values(old, new, path)
        for key in ("format", "pattern"):
            if key in new and new[key] != old.get(key) and not (key == "format" and _format_promised(old, new)):
                self.out.append(f"{path}: {key} {'changed' if key in old else 'added'} ({new[key]})")
        for key in _UPPER_LIMITS:
            if key in new and (key not in old or new[key] < old[key]):
                self.out.append(f"{path}: {key} tightened")
        for key in _LOWER_LIMITS:
            if key in new and (key not in old or new[key] > old[key]):
                self.out.append(f"{path}: {key} tightened")
        if new.get("uniqueItems") and not old.get("uniqueItems"):
            self.out.append(f"{path}: uniqueItems added")
        self._object(old, new, path)
        if "items" in new:
            self.node(old.get("items", {}), new["items"], f"{path}[]")

    def _values(self, old: Schema, new: Schema, path: str) -> None:
        old_values, new_values = _values(old), _values(new)
        if new_values is None:
            return
        if old_values is None:
            self.out.append(f"{path}: restricted to enum values {new_values}")
            return
        removed = [v for v in old_values if v not in new_values]
        if removed:
            self.out.append(f"{path}: enum values removed {removed}")

    def _object(self, old: Schema, new: Schema, path: str) -> None:
        if old.get("additionalProperties", True) is not False and new.get("additionalProperties", True) is False:
            self.out.append(f"{path}: additionalProperties closed")
        elif old.get("additionalProperties", True) is True and isinstance(new.get("additionalProperties"), dict):
            self.out.append(f"{path}: additionalProperties restricted")
        old_props, new_props = old.get("properties", {}), new.get("properties", {})
        for name, sub in old_props.items():
            if name not in new_props:
                self.out.append(f"{path}.{name}: removed")
            else:
                self.node(sub, new_props[name], f"{path}.{name}")
        old_required = set(old.get("required", []))
        for name in sorted(set(new.get("required", [])) - old_required):
            self.out.append(f"{path}.{name}: " + ("became required" if name in old_props else "new required property"))


def _format_promised(old: Schema, new: Schema) -> bool:
    """Whether ``new`` adds a ``format`` that ``old`` had none of but promised in its description."""
    words = _PROMISED_IN_WORDS.get(new["format"])
    return "format" not in old and words is not None and words in str(old.get("description", ""))


def _id_changed(old: Schema, new: Schema) -> bool:
    """Whether ``$id`` changed, other than from a bare ``<ce_type>`` to its absolute URI form."""
    old_id, new_id = old.get("$id"), new.get("$id")
    return old_id != new_id and not (isinstance(old_id, str) and new_id == schema_id(old_id))


def incompatibilities(old: Schema, new: Schema) -> list[str]:
    """List every change from the committed ``old`` schema to ``new`` that could break a reader.

    Args:
        old: the committed schema (what readers were written against).
        new: the schema the code defines now.

    Returns:
        One line per breaking change, naming the JSON path; empty when ``new`` is backward compatible.
    """
    comparison = _Comparison(old, new)
    if _id_changed(old, new):
        comparison.out.append(f"$id changed ({old.get('$id')} to {new.get('$id')})")
    comparison.node(old, new, old.get("$id", "$"))
    return comparison.out


def check(root: Path = ROOT) -> list[str]:
    """List what is not backward compatible between the code and the committed files under ``root``.

    A registered type with no committed file counts, and so does a committed file that no
    registered type owns (an event type removed, or a file in the wrong producer's directory).
    """
    now, before = current(), committed(root)
    expected = {snapshot_path(ce_type, root): ce_type for ce_type in now}
    problems = [
        f"{path.stem}: event type removed or misplaced ({path.relative_to(root)}); publish alongside, never remove"
        for path in before
        if path not in expected
    ]
    for path, ce_type in expected.items():
        if path not in before:
            problems.append(f"{ce_type}: no committed schema (run make schemas)")
        else:
            problems += incompatibilities(before[path], now[ce_type])
    return problems


def stale(root: Path = ROOT) -> list[str]:
    """List the committed files that differ from the code's schemas (compatible or not)."""
    return [
        f"{ce_type}: committed schema out of date (run make schemas)"
        for ce_type, schema in current().items()
        if snapshot_path(ce_type, root).exists() and snapshot_path(ce_type, root).read_text() != render(schema)
    ]


def write(root: Path = ROOT) -> list[Path]:
    """Write every schema file under ``root``; refuse when a change is not backward compatible.

    Raises:
        SystemExit: a change is breaking (publish a ``.v2`` type instead).
    """
    problems = [p for p in check(root) if "no committed schema" not in p]
    if problems:
        msg = "not backward compatible (publish a .v2 type instead):\n" + "\n".join(problems)
        raise SystemExit(msg)
    written = []
    for ce_type, schema in current().items():
        path = snapshot_path(ce_type, root)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(schema))
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    """Command line: ``--write`` the schema files, or ``--check`` them (the default).

    Returns:
        The exit status: 0 when the committed files are compatible and up to date.
    """
    parser = argparse.ArgumentParser(prog="python -m wja_schemas.snapshot", description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--write", action="store_true", help="write schemas/<producer>/<ce_type>.json")
    mode.add_argument("--check", action="store_true", help="list incompatible or out-of-date files")
    args = parser.parse_args(argv)
    if args.write:
        print(f"wrote {len(write())} schema files")  # noqa: T201
    problems = check() + stale()
    for problem in problems:
        print(problem, file=sys.stderr)  # noqa: T201
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
