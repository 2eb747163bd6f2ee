"""The wire contract as data: JSON Schema documents, enum values and a fingerprint.

Two halves:

* Run as a script (``python tools/_contract.py``) it imports ``purelms_shared`` and
  prints, as JSON, the schema documents the models generate *today* and the values of
  every ``StrEnum`` the package exports. :func:`load` runs it in a subprocess with
  ``PYTHONPATH`` pointing at ``<root>/packages/purelms-shared/src``, so the contract
  is read from the repository being checked (a temporary copy in the tests), not from
  whatever ``purelms_shared`` the current interpreter has installed.
* :func:`fingerprint` and :func:`generation_schema` turn documents and enums into the
  contract fingerprint and the single schema the TypeScript generator reads.

The **fingerprint** identifies the contract's *meaning*: it hashes the schemas with
their ``description`` annotations removed, plus the enum values. A docstring edit
therefore does not change it (no version bump needed), while a new field, a new enum
value or a changed constraint does. The generated module and every TypeScript consumer
record the fingerprint beside the version they were synced to; ``lockstep_check``
compares both with the models, which is how a contract change without a bump is caught.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from _workspace import SCHEMA_DIR, SHARED_SRC, LockstepError

ROOT_TYPE: Final = "PurelmsWire"
"""Name of the generated registry interface: every wire type by name."""


@dataclass(frozen=True)
class Contract:
    documents: dict[str, str]
    """Schema file name (``SimulationInputEnvelope.json``) to its exact text."""
    enums: dict[str, list[str]]
    """Every str enum of purelms_shared, name to values in declaration order."""

    @property
    def document_names(self) -> list[str]:
        """Top-level wire documents, in the package's order."""
        return [name.removesuffix(".json") for name in self.documents]

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.documents, self.enums)


def _dump() -> dict[str, Any]:
    import enum

    import purelms_shared

    enums = {
        name: [member.value for member in value]
        for name in purelms_shared.__all__
        if isinstance(value := getattr(purelms_shared, name), type)
        and issubclass(value, enum.StrEnum)
    }
    return {"documents": purelms_shared.schema_documents(), "enums": enums}


def load(root: Path) -> Contract:
    """The contract as ``root``'s purelms-shared source defines it now."""
    env = dict(os.environ)
    source = str((root / SHARED_SRC).resolve())
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [source, env.get("PYTHONPATH")]))
    result = subprocess.run(
        [sys.executable, __file__],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if result.returncode != 0:
        raise LockstepError(f"cannot import purelms_shared from {source}:\n{result.stderr.strip()}")
    data = json.loads(result.stdout)
    return Contract(documents=dict(data["documents"]), enums=dict(data["enums"]))


def committed_documents(root: Path) -> dict[str, str]:
    """The committed schema files, name to text (sorted by name)."""
    directory = root / SCHEMA_DIR
    return {
        path.name: path.read_text(encoding="utf-8") for path in sorted(directory.glob("*.json"))
    }


def _strip_descriptions(schema: Any, *, names: bool = False) -> Any:
    """``schema`` without ``description`` annotations.

    ``names`` marks a mapping whose keys are names (``properties``, ``$defs``), where a
    key called ``description`` is a field, not an annotation.
    """
    if isinstance(schema, list):
        return [_strip_descriptions(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if names:
        return {key: _strip_descriptions(value) for key, value in schema.items()}
    return {
        key: _strip_descriptions(value, names=key in ("properties", "$defs", "definitions"))
        for key, value in schema.items()
        if key != "description"
    }


def fingerprint(documents: dict[str, str], enums: dict[str, list[str]]) -> str:
    """First 16 hex digits of the sha256 of the contract's meaning (see the module doc)."""
    canonical = json.dumps(
        {
            "documents": {
                name: _strip_descriptions(json.loads(text)) for name, text in documents.items()
            },
            "enums": enums,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _without_property_titles(schema: Any) -> Any:
    """Drop the ``title`` of every property schema, and what sits beside a ``$ref``.

    pydantic titles every field ("Run Id"); json-schema-to-typescript would turn each
    titled property into its own exported alias (``RunId``, ``RuntimeSeconds1``...).
    It does the same with a ``$ref`` that has a sibling (``{"$ref": ".../ProgressReporting",
    "default": "none"}`` would become ``ProgressReporting1``), so a property that is a
    reference keeps only the reference: a default says nothing about the TypeScript type.
    Model and enum titles (the ``$defs`` entries) stay: they name the interfaces.
    """
    if isinstance(schema, list):
        return [_without_property_titles(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    result: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "properties" and isinstance(value, dict):
            result[key] = {
                name: {
                    k: _without_property_titles(v)
                    for k, v in prop.items()
                    if k != "title" and (k == "$ref" or "$ref" not in prop)
                }
                if isinstance(prop, dict)
                else prop
                for name, prop in value.items()
            }
        else:
            result[key] = _without_property_titles(value)
    return result


def generation_schema(
    documents: dict[str, str], enums: dict[str, list[str]], order: list[str]
) -> tuple[dict[str, Any], list[str]]:
    """One schema holding every wire type, and the type names in output order.

    The five documents' ``$defs`` are merged (a name defined twice must be defined
    identically, or the contract is inconsistent). Enums that no document references
    (``RunStatus``, ``BackendCallbackEvent``) are added from the Python enums, because
    TypeScript consumers use them too; an enum a document defines is taken from the
    document. The root is a registry interface
    (:data:`ROOT_TYPE`) with one required property per type, which makes the generator
    emit every type and gives the type-level checks one place to look types up.
    Output order: the registry, the documents in ``order``, then the rest by name.
    """
    definitions: dict[str, Any] = {}

    def add(name: str, schema: Any, source: str) -> None:
        if name in definitions and definitions[name] != schema:
            raise LockstepError(
                f"the wire type {name} is defined differently in {source} than in another "
                "schema document; a name must mean one thing across the contract"
            )
        definitions[name] = schema

    for file_name, text in documents.items():
        document = json.loads(text)
        name = file_name.removesuffix(".json")
        for def_name, schema in document.pop("$defs", {}).items():
            add(def_name, schema, file_name)
        for key in ("$schema", "$id"):
            document.pop(key, None)
        add(name, document, file_name)
    for name, values in enums.items():
        # An enum the documents define comes from them (the committed schema is the
        # source); the enum-value check reports any difference from the Python enum.
        definitions.setdefault(name, {"enum": values, "title": name, "type": "string"})
    documents_first = [name for name in order if name in definitions]
    names = documents_first + sorted(set(definitions) - set(documents_first))
    root = {
        "title": ROOT_TYPE,
        "description": "Every purelms wire type by name.",
        "type": "object",
        "additionalProperties": False,
        "properties": {name: {"$ref": f"#/$defs/{name}"} for name in names},
        "required": names,
        "$defs": {name: definitions[name] for name in names},
    }
    return _without_property_titles(root), names


if __name__ == "__main__":
    json.dump(_dump(), sys.stdout)
