"""purelms-harness: a developer's machine behaving as the purelms platform.

It starts a backend exactly as the platform would (an input envelope, a
loopback callback server, a backend process or container, the output
envelope checked, an evidence manifest written) and carries the ``purelms``
command (run, list, serve, evidence, validate, manifest). It also holds the platform's
rules a developer's machine must apply before anything runs: the manifest
(``purelms manifest check``, generated manifests), the three configuration layers
and the ``lms_outcomes`` grading. Backend test suites
use the same machinery through the names below.

Why a package of its own: none of this runs inside a backend image. The image
holds purelms-runtime alone; this package adds what only a developer needs
(rich, pyyaml, the container launcher, the preview server). Commands from other
installed packages (``purelms sweep`` from purelms-sweep) are registered through
the ``purelms.cli`` entry-point group, so this package never imports them.

Why the names below load lazily: ``purelms`` imports this package on every start, and
a command needs only its own part of it (``purelms run`` needs neither the template
renderer, the container launcher nor the managed path's cryptography). Each name is
imported from its module on first use, so the package's import costs nothing.
"""

from importlib import import_module as _import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._args import OneLineParser, non_negative_seconds, whole_seconds
    from ._callback_server import MAX_BODY_BYTES, CallbackServer, ReceivedCallback
    from ._container import (
        ContainerEngine,
        ContainerError,
        ContainerLauncher,
        container_run_args,
        detect_engine,
        open_output_dir,
    )
    from ._display import display_unit, format_number, together, utf8, wrap
    from ._errors import RunCancelled, RunRequestError, describe_os_error, did_you_mean
    from ._evidence import (
        EVIDENCE_NAME,
        build_evidence,
        file_digest,
        verify_evidence,
        write_evidence,
    )
    from ._generate import (
        DECLARATION_TABLE,
        TaskDeclaration,
        generate_manifest,
        manifest_drift,
        model_outputs,
        model_parameters,
        render_manifest,
        v1_outputs,
        v1_parameters,
        write_manifest,
    )
    from ._identity import IdentityError, LoopbackIdentity
    from ._layers import (
        BlockConfig,
        BlockConfigError,
        EffectiveParameter,
        OutputSettings,
        ParameterSettings,
        block_config_problems,
        effective_outcomes,
        effective_parameters,
        load_block_config,
        submission_problems,
    )
    from ._local_run import (
        BackendLauncher,
        LocalRunResult,
        RunRequest,
        default_run_dir,
        run_local,
        timeout_seconds_of,
    )
    from ._managed import (
        BUCKET,
        ManagedLayout,
        ManagedRunResult,
        post_service_request,
        run_managed,
        service_request,
        wait_for_service,
    )
    from ._manifest import (
        MANIFEST_NAME,
        PROJECT_NAME,
        BackendManifest,
        BackendProject,
        ManifestError,
        discover,
        find_repo_root,
        load_manifest,
        read_manifest_data,
        task_problems,
    )
    from ._manifest_check import (
        ManifestCheck,
        check_manifest,
        default_manifest_files,
        render_template_manifest,
    )
    from ._object_store import ObjectStore, StoredObject, StoreRequest
    from ._outcomes import (
        OUTCOME_NAME,
        Outcome,
        describe_outcome,
        evaluate_outcome,
        write_outcome,
    )
    from ._readme import README_NAME, readme_drift, readme_tables, write_readme

#: Public names, by defining module (imported on first use).
_LAZY = {
    "OneLineParser": "._args",
    "non_negative_seconds": "._args",
    "whole_seconds": "._args",
    "CallbackServer": "._callback_server",
    "MAX_BODY_BYTES": "._callback_server",
    "ReceivedCallback": "._callback_server",
    "ContainerEngine": "._container",
    "ContainerError": "._container",
    "ContainerLauncher": "._container",
    "container_run_args": "._container",
    "detect_engine": "._container",
    "open_output_dir": "._container",
    "RunCancelled": "._errors",
    "RunRequestError": "._errors",
    "describe_os_error": "._errors",
    "did_you_mean": "._errors",
    "display_unit": "._display",
    "format_number": "._display",
    "together": "._display",
    "utf8": "._display",
    "wrap": "._display",
    "EVIDENCE_NAME": "._evidence",
    "build_evidence": "._evidence",
    "file_digest": "._evidence",
    "verify_evidence": "._evidence",
    "write_evidence": "._evidence",
    "DECLARATION_TABLE": "._generate",
    "TaskDeclaration": "._generate",
    "generate_manifest": "._generate",
    "manifest_drift": "._generate",
    "model_outputs": "._generate",
    "model_parameters": "._generate",
    "render_manifest": "._generate",
    "v1_outputs": "._generate",
    "v1_parameters": "._generate",
    "write_manifest": "._generate",
    "IdentityError": "._identity",
    "LoopbackIdentity": "._identity",
    "BlockConfig": "._layers",
    "BlockConfigError": "._layers",
    "EffectiveParameter": "._layers",
    "OutputSettings": "._layers",
    "ParameterSettings": "._layers",
    "block_config_problems": "._layers",
    "effective_outcomes": "._layers",
    "effective_parameters": "._layers",
    "load_block_config": "._layers",
    "submission_problems": "._layers",
    "BackendLauncher": "._local_run",
    "LocalRunResult": "._local_run",
    "RunRequest": "._local_run",
    "default_run_dir": "._local_run",
    "run_local": "._local_run",
    "timeout_seconds_of": "._local_run",
    "BUCKET": "._managed",
    "ManagedLayout": "._managed",
    "ManagedRunResult": "._managed",
    "post_service_request": "._managed",
    "run_managed": "._managed",
    "service_request": "._managed",
    "wait_for_service": "._managed",
    "BackendManifest": "._manifest",
    "BackendProject": "._manifest",
    "MANIFEST_NAME": "._manifest",
    "ManifestError": "._manifest",
    "PROJECT_NAME": "._manifest",
    "discover": "._manifest",
    "find_repo_root": "._manifest",
    "load_manifest": "._manifest",
    "read_manifest_data": "._manifest",
    "task_problems": "._manifest",
    "ManifestCheck": "._manifest_check",
    "check_manifest": "._manifest_check",
    "default_manifest_files": "._manifest_check",
    "render_template_manifest": "._manifest_check",
    "ObjectStore": "._object_store",
    "StoreRequest": "._object_store",
    "StoredObject": "._object_store",
    "OUTCOME_NAME": "._outcomes",
    "Outcome": "._outcomes",
    "describe_outcome": "._outcomes",
    "evaluate_outcome": "._outcomes",
    "write_outcome": "._outcomes",
    "README_NAME": "._readme",
    "readme_drift": "._readme",
    "readme_tables": "._readme",
    "write_readme": "._readme",
}


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import version

        return version("purelms-harness")
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'purelms_harness' has no attribute {name!r}")
    return getattr(_import_module(module, __name__), name)


__all__ = [
    "BUCKET",
    "DECLARATION_TABLE",
    "EVIDENCE_NAME",
    "MANIFEST_NAME",
    "MAX_BODY_BYTES",
    "OUTCOME_NAME",
    "PROJECT_NAME",
    "README_NAME",
    "BackendLauncher",
    "BackendManifest",
    "BackendProject",
    "BlockConfig",
    "BlockConfigError",
    "CallbackServer",
    "ContainerEngine",
    "ContainerError",
    "ContainerLauncher",
    "EffectiveParameter",
    "IdentityError",
    "LocalRunResult",
    "LoopbackIdentity",
    "ManagedLayout",
    "ManagedRunResult",
    "ManifestCheck",
    "ManifestError",
    "ObjectStore",
    "OneLineParser",
    "Outcome",
    "OutputSettings",
    "ParameterSettings",
    "ReceivedCallback",
    "RunCancelled",
    "RunRequest",
    "RunRequestError",
    "StoreRequest",
    "StoredObject",
    "TaskDeclaration",
    "__version__",
    "block_config_problems",
    "build_evidence",
    "check_manifest",
    "container_run_args",
    "default_manifest_files",
    "default_run_dir",
    "describe_os_error",
    "describe_outcome",
    "detect_engine",
    "did_you_mean",
    "discover",
    "display_unit",
    "effective_outcomes",
    "effective_parameters",
    "evaluate_outcome",
    "file_digest",
    "find_repo_root",
    "format_number",
    "generate_manifest",
    "load_block_config",
    "load_manifest",
    "manifest_drift",
    "model_outputs",
    "model_parameters",
    "non_negative_seconds",
    "open_output_dir",
    "post_service_request",
    "read_manifest_data",
    "readme_drift",
    "readme_tables",
    "render_manifest",
    "render_template_manifest",
    "run_local",
    "run_managed",
    "service_request",
    "submission_problems",
    "task_problems",
    "timeout_seconds_of",
    "together",
    "utf8",
    "v1_outputs",
    "v1_parameters",
    "verify_evidence",
    "wait_for_service",
    "whole_seconds",
    "wrap",
    "write_evidence",
    "write_manifest",
    "write_outcome",
    "write_readme",
]
