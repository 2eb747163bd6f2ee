"""Declaring parameters and outputs with their units, ranges and labels.

A backend's parameter model is the single source of truth for its form, its
manifest (``interactive_task.yaml``) and its TypeScript types. ``param`` and
``output`` are thin wrappers over :func:`pydantic.Field` that put the unit,
label and slider step where the manifest generator and the JSON Schema find
them (``json_schema_extra``), so nothing is declared twice.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue

__all__ = ["OpenParameters", "Outputs", "Parameters", "output", "param"]


class Parameters(BaseModel):
    """Base of every backend's parameter model: unknown parameters are an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class OpenParameters(Parameters):
    """An open parameter schema (the manifest's ``parameters: []``): any object is accepted.

    The platform checks nothing about the parameters of an open-schema task, so the model
    declares no fields (declaring one is a ``TypeError``: it would be a schema, and the
    manifest could not say it). The function reads what was submitted, exactly as it was
    received, from :attr:`received`, and checks what it uses itself (raise
    :class:`~purelms_runtime.InputRejected` for a bad value: status ``failed_runtime``).
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if cls.model_fields:
            names = ", ".join(cls.model_fields)
            raise TypeError(
                f"{cls.__name__} is an open parameter schema and declares no fields "
                f"(got {names}); read values from .received, or subclass Parameters"
            )

    @property
    def received(self) -> dict[str, JsonValue]:
        """The parameters object exactly as the input envelope carried it (a copy)."""
        return dict(self.model_extra or {})


class Outputs(BaseModel):
    """Base of every backend's output model."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _extra(unit: str, step: float | None) -> dict[str, Any]:
    extra: dict[str, Any] = {"unit": unit}
    if step is not None:
        extra["step"] = step
    return extra


def param(
    default: Any,
    *,
    label: str,
    unit: str = "",
    ge: float | None = None,
    le: float | None = None,
    gt: float | None = None,
    lt: float | None = None,
    step: float | None = None,
    description: str = "",
) -> Any:
    """A parameter field, e.g. ``length_m: float = param(8.0, label="Length", unit="m", ge=2)``."""
    return Field(
        default,
        title=label,
        description=description or None,
        ge=ge,
        le=le,
        gt=gt,
        lt=lt,
        json_schema_extra=_extra(unit, step),
    )


def output(*, label: str, unit: str = "", description: str = "") -> Any:
    """An output field: ``heating_kwh: float = output(label="Annual heating", unit="kWh")``."""
    return Field(
        title=label,
        description=description or None,
        json_schema_extra=_extra(unit, None),
    )
