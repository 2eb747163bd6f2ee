"""purelms-shared: the wire contract between the purelms platform and its backends.

The public API is exactly what this module re-exports; everything in the
private ``_module`` files behind it may move without notice.

Versioning in one paragraph: every model is strict and frozen. An additive
change (an optional field with a default, a new enum value) stays in v1 and
ships with ``nox -s lockstep_bump`` so every consumer's floor pin moves with
it; an incompatible change is a new ``...V2`` class beside v1, registered in
the versioned parsers, and v1 keeps parsing forever.
"""

from importlib import import_module as _import_module
from typing import TYPE_CHECKING, Any

from ._callbacks import CompleteCallback, ProgressCallback
from ._constants import (
    EVIDENCE_SCHEMA_V1,
    INPUT_SCHEMA_V1,
    OUTPUT_SCHEMA_V1,
    TERMINAL_RUN_STATUSES,
    BackendCallbackEvent,
    EvidenceSchemaV1,
    InputFileRole,
    InputSchemaV1,
    MessageLevel,
    OutputSchemaV1,
    OutputStatus,
    RunStatus,
)
from ._envelopes import (
    ExecutionContext,
    InputFile,
    Message,
    OutputArtifact,
    ResourceFile,
    SimulationInputEnvelope,
    SimulationOutputEnvelope,
)
from ._errors import error_lines, error_path, format_validation_error
from ._evidence import EvidenceManifest, EvidenceReference
from ._parsing import (
    SUPPORTED_EVIDENCE_VERSIONS,
    SUPPORTED_INPUT_VERSIONS,
    SUPPORTED_OUTPUT_VERSIONS,
    WireDocument,
    parse_evidence_manifest,
    parse_input_envelope,
    parse_output_envelope,
)

if TYPE_CHECKING:
    from ._schema import (
        SCHEMA_MODELS,
        json_schemas,
        render_json_schema,
        schema_documents,
        schema_id,
    )
    from ._service import (
        SERVICE_ENVIRONMENT_KEYS,
        SERVICE_EXECUTION_SCHEMA_V1,
        SERVICE_OPTIONAL_ENVIRONMENT_KEYS,
        ServiceEnvironment,
        ServiceExecutionRequest,
        ServiceExecutionSchemaV1,
    )
    from ._task_manifest import (
        INTERACTIVE_MOUNT_V1,
        OUTCOME_ARGUMENTS,
        PORTABLE_CONTAINER_V1,
        SUPPORTED_TASK_MANIFEST_VERSIONS,
        TASK_MANIFEST_SCHEMA_V1,
        EnumChoice,
        InteractiveMountV1,
        InteractiveTaskManifest,
        LmsContextField,
        LmsOutcomes,
        OutcomeRule,
        OutcomeTransform,
        PortableContainerV1,
        ProgressReporting,
        TaskBackend,
        TaskChoiceValue,
        TaskDeployment,
        TaskFrontend,
        TaskManifestSchemaV1,
        TaskNumber,
        TaskOutput,
        TaskParameter,
        TaskScalar,
        TaskValueType,
        TrustTier,
        derived_image,
        parse_task_manifest,
    )

# Loaded on first use, not with the package: the task manifest, the service request
# and the JSON Schema machinery are model classes that a backend process never uses
# (its image runs jobs on the envelopes and callbacks above), and importing them cost
# it about 10 ms at every start (benchmarks/bench_backend_start.py).
_LAZY: dict[str, str] = {
    **dict.fromkeys(
        (
            "SCHEMA_MODELS",
            "json_schemas",
            "render_json_schema",
            "schema_documents",
            "schema_id",
        ),
        "._schema",
    ),
    **dict.fromkeys(
        (
            "SERVICE_ENVIRONMENT_KEYS",
            "SERVICE_EXECUTION_SCHEMA_V1",
            "SERVICE_OPTIONAL_ENVIRONMENT_KEYS",
            "ServiceEnvironment",
            "ServiceExecutionRequest",
            "ServiceExecutionSchemaV1",
        ),
        "._service",
    ),
    **dict.fromkeys(
        (
            "INTERACTIVE_MOUNT_V1",
            "OUTCOME_ARGUMENTS",
            "PORTABLE_CONTAINER_V1",
            "SUPPORTED_TASK_MANIFEST_VERSIONS",
            "TASK_MANIFEST_SCHEMA_V1",
            "EnumChoice",
            "InteractiveMountV1",
            "InteractiveTaskManifest",
            "LmsContextField",
            "LmsOutcomes",
            "OutcomeRule",
            "OutcomeTransform",
            "PortableContainerV1",
            "ProgressReporting",
            "TaskBackend",
            "TaskChoiceValue",
            "TaskDeployment",
            "TaskFrontend",
            "TaskManifestSchemaV1",
            "TaskNumber",
            "TaskOutput",
            "TaskParameter",
            "TaskScalar",
            "TaskValueType",
            "TrustTier",
            "derived_image",
            "parse_task_manifest",
        ),
        "._task_manifest",
    ),
}


def __getattr__(name: str) -> Any:
    # ``__version__`` is read from the installed distribution on first use: importing
    # importlib.metadata costs tens of milliseconds, paid by every backend process at
    # start otherwise (see benchmarks/bench_backend_start.py).
    if name == "__version__":
        from importlib.metadata import version

        return version("purelms-shared")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_import_module(module, __name__), name)
    globals()[name] = value  # found directly from now on
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


__all__ = [
    "EVIDENCE_SCHEMA_V1",
    "INPUT_SCHEMA_V1",
    "INTERACTIVE_MOUNT_V1",
    "OUTCOME_ARGUMENTS",
    "OUTPUT_SCHEMA_V1",
    "PORTABLE_CONTAINER_V1",
    "SCHEMA_MODELS",
    "SERVICE_ENVIRONMENT_KEYS",
    "SERVICE_EXECUTION_SCHEMA_V1",
    "SERVICE_OPTIONAL_ENVIRONMENT_KEYS",
    "SUPPORTED_EVIDENCE_VERSIONS",
    "SUPPORTED_INPUT_VERSIONS",
    "SUPPORTED_OUTPUT_VERSIONS",
    "SUPPORTED_TASK_MANIFEST_VERSIONS",
    "TASK_MANIFEST_SCHEMA_V1",
    "TERMINAL_RUN_STATUSES",
    "BackendCallbackEvent",
    "CompleteCallback",
    "EnumChoice",
    "EvidenceManifest",
    "EvidenceReference",
    "EvidenceSchemaV1",
    "ExecutionContext",
    "InputFile",
    "InputFileRole",
    "InputSchemaV1",
    "InteractiveMountV1",
    "InteractiveTaskManifest",
    "LmsContextField",
    "LmsOutcomes",
    "Message",
    "MessageLevel",
    "OutcomeRule",
    "OutcomeTransform",
    "OutputArtifact",
    "OutputSchemaV1",
    "OutputStatus",
    "PortableContainerV1",
    "ProgressCallback",
    "ProgressReporting",
    "ResourceFile",
    "RunStatus",
    "ServiceEnvironment",
    "ServiceExecutionRequest",
    "ServiceExecutionSchemaV1",
    "SimulationInputEnvelope",
    "SimulationOutputEnvelope",
    "TaskBackend",
    "TaskChoiceValue",
    "TaskDeployment",
    "TaskFrontend",
    "TaskManifestSchemaV1",
    "TaskNumber",
    "TaskOutput",
    "TaskParameter",
    "TaskScalar",
    "TaskValueType",
    "TrustTier",
    "WireDocument",
    "__version__",
    "derived_image",
    "error_lines",
    "error_path",
    "format_validation_error",
    "json_schemas",
    "parse_evidence_manifest",
    "parse_input_envelope",
    "parse_output_envelope",
    "parse_task_manifest",
    "render_json_schema",
    "schema_documents",
    "schema_id",
]
