"""Is a message schema a compatible successor of a published one?

Consumers were written against the published schema, so a new version must
keep every field they may read: the same name, the same type (no new null),
still required if it was. Adding a field is compatible (consumers ignore
fields they do not know). Anything else is a new envelope version on a new
topic (docs/events.md).

One value may change: ``schema_version`` (the event's class_version) may grow,
since a class_version bump whose published fields only grew is how a
consumer learns that ``data`` has new fields; it never shrinks or changes
type. The rest of the schema is still compared field by field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

SHAPE = ("type", "const", "enum", "format", "pattern")


def _grown_version(path: str, was: dict[str, Any], now: dict[str, Any]) -> bool:
    old, new = was.get("const"), now.get("const")
    return (path == "schema_version" and isinstance(old, int) and isinstance(new, int)
            and new > old and {k: v for k, v in was.items() if k != "const"}.items()
            <= now.items())


def breaking_changes(old: dict[str, Any], new: dict[str, Any], where: str = "") -> list[str]:
    found = []
    for name, was in old.get("properties", {}).items():
        now = new.get("properties", {}).get(name)
        path = f"{where}{name}"
        if now is None:
            found.append(f"{path}: removed")
            continue
        if _grown_version(path, was, now):
            continue
        for word in SHAPE:
            if was.get(word) != now.get(word):
                found.append(f"{path}: {word} {was.get(word)!r} -> {now.get(word)!r}")
        if "properties" in was:
            found += breaking_changes(was, now, f"{path}.")
    for name in set(old.get("required", ())) - set(new.get("required", ())):
        found.append(f"{where}{name}: no longer required")
    return found


def breaking_changes_between(published: Path, current: Path) -> list[str]:
    """Every breaking change from the published schema files to the current ones."""
    import json

    found = []
    for old_file in sorted(published.glob("*.schema.json")):
        new_file = current / old_file.name
        if not new_file.exists():
            found.append(f"{old_file.name}: message type removed")
            continue
        found += [f"{old_file.name}: {change}" for change in breaking_changes(
            json.loads(old_file.read_text()), json.loads(new_file.read_text()))]
    return found
