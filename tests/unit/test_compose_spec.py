"""docker-compose.yml is valid against the Compose Specification's JSON schema.

The schema is the Compose Specification's own (``tests/unit/data/compose-spec.json``, see its
SOURCE file); YAML anchors are resolved by the loader before validating, as Compose does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = Path(__file__).parent / "data" / "compose-spec.json"


def _compose() -> Any:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def _errors(document: Any) -> list[str]:
    validator = jsonschema.Draft7Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))
    return [
        f"{'/'.join(str(p) for p in e.absolute_path) or '<root>'}: {e.message}"
        for e in validator.iter_errors(document)
    ]


def test_docker_compose_matches_the_compose_specification() -> None:
    assert _errors(_compose()) == []


def test_the_schema_check_catches_a_malformed_service() -> None:
    # The check has teeth: a misspelt key and a port of the wrong type are both reported.
    doc = _compose()
    service = next(iter(doc["services"].values()))
    service["restartt"] = "always"
    service["ports"] = "8080:8080"
    errors = _errors(doc)
    assert any("restartt" in e for e in errors), errors
    assert any(e.endswith("/ports: '8080:8080' is not of type 'array'") for e in errors), errors
