"""The service-execution request (``purelms.service_execution.v1``).

On the platform's managed path a backend may run as a Cloud Run *service*: the platform
POSTs one of these to the container (``PURELMS_RUNTIME_MODE=service``) instead of
starting a job with the same environment. The body carries exactly the environment a
job would get, so the runtime runs the backend the same way in both shapes.

The rules are the platform's (``platform.md`` §4) and match exactly: four keys, no
more; ``environment`` holds exactly the nine keys of :data:`SERVICE_ENVIRONMENT_KEYS`,
optionally :data:`SERVICE_OPTIONAL_ENVIRONMENT_KEYS` too, each a string;
``PURELMS_RUN_ID`` names the same run as ``run_id``; ``timeout_at`` carries a timezone.
What the values *mean* (a sha256 in hex, a positive generation) is checked by the
runtime, which parses this environment exactly as it parses a job's.

Like every wire model it is strict and frozen; a new incompatible shape is a
``...V2`` class beside this one.
"""

from __future__ import annotations

from typing import Annotated, Any, Final, Literal
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BeforeValidator,
    Field,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    WithJsonSchema,
    field_validator,
    model_serializer,
    model_validator,
)

from ._base import StrictText, WireModel, _datetime_text_only

__all__ = [
    "SERVICE_ENVIRONMENT_KEYS",
    "SERVICE_EXECUTION_SCHEMA_V1",
    "SERVICE_OPTIONAL_ENVIRONMENT_KEYS",
    "ServiceEnvironment",
    "ServiceExecutionRequest",
    "ServiceExecutionSchemaV1",
]

ServiceExecutionSchemaV1 = Literal["purelms.service_execution.v1"]
SERVICE_EXECUTION_SCHEMA_V1: Final[ServiceExecutionSchemaV1] = "purelms.service_execution.v1"


def _no_default_in_schema(schema: dict[str, Any]) -> None:
    schema.pop("default", None)  # absent is the default; null is never a value


class ServiceEnvironment(WireModel):
    """The environment of one run; the field names are the environment variables' names."""

    PURELMS_INPUT_URI: StrictText
    PURELMS_OUTPUT_URI: StrictText
    PURELMS_INPUT_FETCH_URL: StrictText
    PURELMS_OUTPUT_UPLOAD_URL: StrictText
    PURELMS_OUTPUT_VERIFY_URL: StrictText
    PURELMS_RUN_ID: StrictText
    PURELMS_INPUT_SHA256: StrictText
    PURELMS_INPUT_SIZE_BYTES: StrictText
    PURELMS_INPUT_GENERATION: StrictText
    #: Optional: absent (never null) means the runtime's default.
    PURELMS_MAX_ENVELOPE_BYTES: Annotated[StrictText | None, WithJsonSchema({"type": "string"})] = (
        Field(default=None, json_schema_extra=_no_default_in_schema)
    )

    @field_validator("PURELMS_MAX_ENVELOPE_BYTES", mode="before")
    @classmethod
    def _absent_not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("Input should be a valid string (leave the key out instead of null)")
        return value

    @model_serializer(mode="wrap")
    def _leave_out_absent(
        self, handler: SerializerFunctionWrapHandler, info: SerializationInfo
    ) -> dict[str, object]:
        data: dict[str, object] = handler(self)
        return {key: value for key, value in data.items() if value is not None}

    def as_environ(self) -> dict[str, str]:
        """The variables as a process environment (an absent optional key stays absent)."""
        return {key: value for key, value in self.model_dump().items() if value is not None}


#: The keys every service request's ``environment`` holds.
SERVICE_ENVIRONMENT_KEYS: Final = tuple(
    name for name, info in ServiceEnvironment.model_fields.items() if info.is_required()
)
#: The keys it may hold beside them.
SERVICE_OPTIONAL_ENVIRONMENT_KEYS: Final = tuple(
    name for name, info in ServiceEnvironment.model_fields.items() if not info.is_required()
)


class ServiceExecutionRequest(WireModel):
    """The body of ``POST /`` to a backend running in service mode."""

    schema_version: ServiceExecutionSchemaV1
    run_id: UUID
    #: ISO 8601 with a UTC offset; a date-time without one (or a number) is refused.
    timeout_at: Annotated[AwareDatetime, BeforeValidator(_datetime_text_only)]
    environment: ServiceEnvironment

    @model_validator(mode="after")
    def _run_ids_agree(self) -> ServiceExecutionRequest:
        named = self.environment.PURELMS_RUN_ID
        try:
            same = UUID(named) == self.run_id
        except ValueError:
            same = False
        if not same:
            raise ValueError(
                f"environment.PURELMS_RUN_ID {named!r} must name the same run as run_id "
                f"{self.run_id}"
            )
        return self
