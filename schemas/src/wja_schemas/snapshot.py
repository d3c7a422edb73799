"""Committed JSON Schemas of every event type, and the backward-compatibility check.

``python -m wja_schemas.snapshot --write`` writes ``schemas/<producer>/<ce_type>.json``;
``--check`` exits non-zero listing every change that is not backward compatible with the
committed files. Compatible means additive: new optional properties, new enum values, looser
constraints. Breaking: a property removed, a type changed or narrowed, an enum value removed,
a new required property, ``additionalProperties`` closed.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from wja_schemas import EVENT_TYPES

ROOT = Path(__file__).resolve().parents[2]
"""The ``schemas/`` directory of the repository (where snapshots are committed)."""


def snapshot_path(ce_type: str, root: Path = ROOT) -> Path:
    """Where the committed schema of ``ce_type`` lives."""
    producer = ce_type.split(".")[1]
    return root / producer / f"{ce_type}.json"


def render(schema: dict[str, Any]) -> str:
    """The canonical text of a schema file."""
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def current() -> dict[str, dict[str, Any]]:
    """The schema of every registered event type, as the code defines it now."""
    return {ce_type: model.json_schema() for ce_type, model in sorted(EVENT_TYPES.items())}


def _resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        name = node["$ref"].split("/")[-1]
        node = {**root.get("$defs", {}).get(name, {}), **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _types(node: dict[str, Any], root: dict[str, Any]) -> set[str]:
    node = _resolve(node, root)
    if "anyOf" in node:
        return set().union(*(_types(n, root) for n in node["anyOf"]))
    if "enum" in node:
        return {f"enum:{json.dumps(v)}" for v in node["enum"]}
    if "const" in node:
        return {f"enum:{json.dumps(node['const'])}"}
    kind = node.get("type", "any")
    kinds = set(kind) if isinstance(kind, list) else {kind}
    if "format" in node:
        kinds = {f"{k}:{node['format']}" for k in kinds}
    return kinds


_LIMITS_MAX = ("maxLength", "maximum", "maxItems")
_LIMITS_MIN = ("minLength", "minimum", "minItems")


def _compare(
    old: dict[str, Any],
    new: dict[str, Any],
    old_root: dict[str, Any],
    new_root: dict[str, Any],
    path: str,
    out: list[str],
) -> None:
    old, new = _resolve(old, old_root), _resolve(new, new_root)
    old_types, new_types = _types(old, old_root), _types(new, new_root)
    if "any" not in new_types:
        lost = old_types - new_types
        if lost and not (
            {t.split(":")[0] for t in lost} <= {t.split(":")[0] for t in new_types}
            and not any(t.startswith("enum:") for t in lost)
        ):
            out.append(f"{path}: type narrowed (lost {sorted(lost)})")
        elif any(t.startswith("enum:") for t in lost):
            out.append(f"{path}: enum values removed {sorted(t[5:] for t in lost if t.startswith('enum:'))}")
    for key in _LIMITS_MAX:
        if key in new and (key not in old or new[key] < old[key]):
            out.append(f"{path}: {key} tightened")
    for key in _LIMITS_MIN:
        if key in new and (key not in old or new[key] > old[key]):
            out.append(f"{path}: {key} tightened")
    if new.get("pattern") != old.get("pattern") and "pattern" in new:
        out.append(f"{path}: pattern changed")
    if old.get("additionalProperties", True) is not False and new.get("additionalProperties") is False:
        out.append(f"{path}: additionalProperties closed")
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    for name, sub in old_props.items():
        if name not in new_props:
            out.append(f"{path}.{name}: removed")
        else:
            _compare(sub, new_props[name], old_root, new_root, f"{path}.{name}", out)
    for name in set(new.get("required", [])) - set(old.get("required", [])):
        out.append(f"{path}.{name}: " + ("became required" if name in old_props else "new required property"))
    if "items" in old and "items" in new:
        _compare(old["items"], new["items"], old_root, new_root, f"{path}[]", out)
    if "anyOf" in old and "anyOf" in new:
        new_by_kind = {str(_resolve(b, new_root).get("type", "object")): b for b in new["anyOf"]}
        for branch in old["anyOf"]:
            kind = str(_resolve(branch, old_root).get("type", "object"))
            if kind in new_by_kind and kind != "null":
                _compare(branch, new_by_kind[kind], old_root, new_root, path, out)


def incompatibilities(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Every change from the committed ``old`` schema to ``new`` that could break a reader."""
    out: list[str] = []
    _compare(old, new, old, new, old.get("$id", "$"), out)
    return out


def check(root: Path = ROOT) -> list[str]:
    """Problems of the current code against the committed files (missing files count)."""
    problems: list[str] = []
    for ce_type, schema in current().items():
        path = snapshot_path(ce_type, root)
        if not path.exists():
            problems.append(f"{ce_type}: no committed schema (run make schemas)")
            continue
        problems += incompatibilities(json.loads(path.read_text()), schema)
    return problems


def write(root: Path = ROOT) -> list[Path]:
    """Write every schema file; refuses when a change is not backward compatible."""
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


def main() -> None:
    """Command line: ``--write`` or ``--check``."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    if args.write:
        print(f"wrote {len(write())} schema files")  # noqa: T201
    problems = check()
    for problem in problems:
        print(problem, file=sys.stderr)  # noqa: T201
    raise SystemExit(1 if problems else 0)


if __name__ == "__main__":
    main()
