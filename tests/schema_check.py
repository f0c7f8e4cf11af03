"""Checks synthesized Terraform JSON against the pinned provider schema fixture."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "libvirt-schema.json"
# Terraform meta-arguments, valid on every resource.
META_ARGUMENTS = {"provider", "depends_on", "lifecycle", "count", "for_each", "//"}
SCALARS: dict[str, type | tuple[type, ...]] = {"String": str, "Number": (int, float),
                                               "Boolean": bool}


def load_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(FIXTURE.read_text())
    return schema


def _check_object(path: str, value: Any, schema: dict[str, Any]) -> Iterator[str]:
    if not isinstance(value, dict):
        yield f"{path}: expected an object, got {type(value).__name__}"
        return
    for key, item in value.items():
        if key not in schema:
            yield f"{path}.{key}: not in the provider schema"
            continue
        yield from _check_value(f"{path}.{key}", item, schema[key])
    for key, attr in schema.items():
        if attr.get("required") and key not in value:
            yield f"{path}.{key}: required by the provider schema but missing"


def _check_value(path: str, value: Any, attr: dict[str, Any]) -> Iterator[str]:
    kind = attr["type"]
    if isinstance(value, str) and value.startswith("${"):
        return  # a reference; Terraform resolves and type-checks it at plan time
    if kind == "Attributes":
        yield from _check_object(path, value, attr.get("attributes", {}))
    elif kind == "Attributes List":
        if not isinstance(value, list):
            yield f"{path}: expected a list of objects"
            return
        for index, item in enumerate(value):
            yield from _check_object(f"{path}[{index}]", item, attr.get("attributes", {}))
    elif kind in SCALARS:
        if not isinstance(value, SCALARS[kind]) or (kind == "Number" and isinstance(value, bool)):
            yield f"{path}: expected {kind}, got {value!r}"
    elif kind.startswith("List of "):
        if not isinstance(value, list):
            yield f"{path}: expected {kind}"
    else:
        yield f"{path}: schema type {kind} is not handled by this check"


def violations(synthesized: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for resource_type, resources in synthesized.get("resource", {}).items():
        if not resource_type.startswith("libvirt_"):
            continue
        if resource_type not in schema:
            found.append(f"{resource_type}: not a resource of the provider")
            continue
        for name, body in resources.items():
            attributes = {k: v for k, v in body.items() if k not in META_ARGUMENTS}
            found.extend(_check_object(f"{resource_type}.{name}", attributes,
                                       schema[resource_type]))
    return found
