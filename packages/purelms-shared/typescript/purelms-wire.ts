// purelms-shared contract: 0.8.0 sha256:267928a989671574
//
// The purelms wire contract in TypeScript: every type of the purelms.*.v1 documents.
//
// GENERATED, do not edit. Source: packages/purelms-shared/src/purelms_shared/schemas/*.json
// (and the Python enums no document references, such as RunStatus) through
// json-schema-to-typescript, pinned in package.json beside this file, by
// tools/wire_sync.py. After a contract change run
// `nox -s lockstep_bump -- <version>`; otherwise `nox -s wire_sync -- --write`
// regenerates it.

/**
 * Every purelms wire type by name.
 */
export interface PurelmsWire {
  SimulationInputEnvelope: SimulationInputEnvelope;
  SimulationOutputEnvelope: SimulationOutputEnvelope;
  EvidenceManifest: EvidenceManifest;
  ProgressCallback: ProgressCallback;
  CompleteCallback: CompleteCallback;
  ServiceExecutionRequest: ServiceExecutionRequest;
  InteractiveTaskManifest: InteractiveTaskManifest;
  BackendCallbackEvent: BackendCallbackEvent;
  EnumChoice: EnumChoice;
  EvidenceReference: EvidenceReference;
  ExecutionContext: ExecutionContext;
  InputFile: InputFile;
  InputFileRole: InputFileRole;
  JsonValue: JsonValue;
  LmsContextField: LmsContextField;
  LmsOutcomes: LmsOutcomes;
  Message: Message;
  MessageLevel: MessageLevel;
  OutcomeRule: OutcomeRule;
  OutcomeTransform: OutcomeTransform;
  OutputArtifact: OutputArtifact;
  OutputStatus: OutputStatus;
  ProgressReporting: ProgressReporting;
  ResourceFile: ResourceFile;
  RunStatus: RunStatus;
  ServiceEnvironment: ServiceEnvironment;
  TaskBackend: TaskBackend;
  TaskDeployment: TaskDeployment;
  TaskFrontend: TaskFrontend;
  TaskOutput: TaskOutput;
  TaskParameter: TaskParameter;
  TaskValueType: TaskValueType;
  TrustTier: TrustTier;
}

/**
 * What the platform hands a backend: who, what, with which parameters and files.
 */
export interface SimulationInputEnvelope {
  schema_version?: "purelms.input.v1";
  run_id: string;
  backend_slug: string;
  backend_version: string;
  student_id: number;
  course_id: number;
  block_id: number;
  unit_block_id?: number | null;
  parameters?: {
    [k: string]: JsonValue;
  };
  input_files?: InputFile[];
  resource_files?: ResourceFile[];
  context: ExecutionContext;
}

/**
 * What a backend hands back. Every domain outcome, failures included, is one of these.
 */
export interface SimulationOutputEnvelope {
  schema_version?: "purelms.output.v1";
  run_id: string;
  status: OutputStatus;
  outputs?: {
    [k: string]: JsonValue;
  };
  artifacts?: OutputArtifact[];
  messages?: Message[];
  metrics?: {
    [k: string]: number;
  } | null;
  runtime_seconds?: number;
}

export interface EvidenceManifest {
  schema_version?: "purelms.evidence.v1";
  run_id: string;
  student_id: number;
  course_id: number;
  block_id: number;
  backend_slug: string;
  backend_version: string;
  backend_image_digest?: string;
  status: OutputStatus;
  dispatched_at: string;
  completed_at: string;
  runtime_seconds?: number;
  references?: EvidenceReference[];
}

export interface ProgressCallback {
  progress_pct: number;
  step?: string;
  elapsed_seconds?: number | null;
}

/**
 * Sent once ``output.json`` is on disk; tells the platform where and what it is.
 *
 * The three ``output_*`` fields pin the exact object written; they default to null
 * because legacy senders omit them (as 0.5.1 allows).
 */
export interface CompleteCallback {
  output_envelope_uri: string;
  exit_code: number;
  output_sha256?: string | null;
  output_size_bytes?: number | null;
  output_generation?: number | null;
}

/**
 * The body of ``POST /`` to a backend running in service mode.
 */
export interface ServiceExecutionRequest {
  schema_version: "purelms.service_execution.v1";
  run_id: string;
  timeout_at: string;
  environment: ServiceEnvironment;
}

/**
 * ``interactive_task.yaml``: the task as the platform installs it (Layer 1).
 */
export interface InteractiveTaskManifest {
  schema_version: "purelms.interactive_task.v1";
  /**
   * a slug is 1 to 64 characters of a-z, 0-9 and _, not starting or ending with _
   */
  slug: string;
  name: string;
  /**
   * a version is semantic: MAJOR.MINOR.PATCH, e.g. 0.2.0
   */
  version: string;
  description: string;
  backend: TaskBackend;
  deployment: TaskDeployment;
  frontend: TaskFrontend;
  parameters?: TaskParameter[];
  outputs?: TaskOutput[];
  lms_context_used?: LmsContextField[];
  requires_user_context?: boolean;
  lms_outcomes?: LmsOutcomes;
}

export type BackendCallbackEvent = "progress" | "complete";

/**
 * One choice of an ``enum`` parameter: the value submitted and the label shown.
 */
export interface EnumChoice {
  value: string | number;
  label: string;
}

/**
 * One file of a run, e.g. kind ``input_envelope`` or ``artifact:eplusout.sql``.
 */
export interface EvidenceReference {
  kind: string;
  uri: string;
  sha256: string;
  size_bytes: number;
  generation?: number | null;
}

/**
 * Where to report, and how long the run may take.
 */
export interface ExecutionContext {
  callback_url_progress: string;
  callback_url_complete: string;
  callback_audience: string;
  timeout_seconds: number;
  progress_min_interval_seconds?: number;
}

/**
 * A file the learner or the platform supplies to this run (e.g. a custom EPW).
 */
export interface InputFile {
  /**
   * Any string; the known roles (InputFileRole) are template, weather, resource, evidence_reference.
   */
  role: string;
  mime_type: string;
  filename: string;
  uri: string;
  sha256: string;
  size_bytes: number;
}

export type InputFileRole = "template" | "weather" | "resource" | "evidence_reference";

export type JsonValue = unknown;

/**
 * The input-envelope fields a task may declare it reads (``lms_context_used``).
 */
export type LmsContextField =
  | "run_id"
  | "backend_slug"
  | "backend_version"
  | "student_id"
  | "course_id"
  | "block_id"
  | "unit_block_id";

/**
 * Up to three rules; ``{}`` means: success passes, completion 1.0, no score.
 */
export interface LmsOutcomes {
  passed?: OutcomeRule | null;
  score?: OutcomeRule | null;
  completion?: OutcomeRule | null;
}

export interface Message {
  level: MessageLevel;
  code?: string;
  text: string;
}

export type MessageLevel = "debug" | "info" | "warning" | "error";

/**
 * ``{source: outputs.<name>, transform, ...its arguments}``.
 */
export interface OutcomeRule {
  /**
   * a source is outputs.<name of a declared output>
   */
  source: string;
  transform: OutcomeTransform;
  value?: (string | boolean | number) | null;
  threshold?: number | null;
  bounds?: [unknown, unknown] | null;
}

/**
 * How an ``lms_outcomes`` rule turns an output into a verdict or a score.
 */
export type OutcomeTransform =
  | "passthrough"
  | "equals"
  | "less_than"
  | "greater_than"
  | "in_range"
  | "normalize"
  | "normalize_inverse";

export interface OutputArtifact {
  filename: string;
  mime_type: string;
  uri: string;
  sha256: string;
  size_bytes: number;
  label?: string;
}

/**
 * The terminal values of :class:`RunStatus`: what an output envelope can report.
 */
export type OutputStatus =
  "success" | "failed_simulation" | "failed_runtime" | "cancelled" | "timed_out";

/**
 * ``percentage`` only when the tool measures completed work (wall time is not progress).
 */
export type ProgressReporting = "none" | "percentage";

/**
 * A file owned by the task (not the learner), such as a template or a library.
 */
export interface ResourceFile {
  /**
   * Any string; the known roles (InputFileRole) are template, weather, resource, evidence_reference.
   */
  role: string;
  mime_type: string;
  filename: string;
  uri: string;
  sha256: string;
  size_bytes: number;
}

export type RunStatus =
  | "pending"
  | "dispatched"
  | "running"
  | "success"
  | "failed_simulation"
  | "failed_runtime"
  | "cancelled"
  | "timed_out";

/**
 * The environment of one run; the field names are the environment variables' names.
 */
export interface ServiceEnvironment {
  PURELMS_INPUT_URI: string;
  PURELMS_OUTPUT_URI: string;
  PURELMS_INPUT_FETCH_URL: string;
  PURELMS_OUTPUT_UPLOAD_URL: string;
  PURELMS_OUTPUT_VERIFY_URL: string;
  PURELMS_RUN_ID: string;
  PURELMS_INPUT_SHA256: string;
  PURELMS_INPUT_SIZE_BYTES: string;
  PURELMS_INPUT_GENERATION: string;
  PURELMS_MAX_ENVELOPE_BYTES?: string;
}

/**
 * How the platform runs the task's container.
 */
export interface TaskBackend {
  image?: string | null;
  credit_cost: number;
  trust_tier: TrustTier;
  execution_mode: "sync";
  progress_reporting?: ProgressReporting;
  default_timeout_seconds: number;
  max_timeout_seconds?: number | null;
  default_memory_limit?: string | null;
  default_cpu_limit?: string | null;
}

/**
 * What a managed deployment must offer the task (the portable container contract).
 */
export interface TaskDeployment {
  portable_contract: "purelms.portable_container.v1";
  required_capabilities?: string[];
  provider_allowlist?: string[] | null;
}

/**
 * The task's bundle and the mount contract it implements (absent means v1).
 */
export interface TaskFrontend {
  /**
   * the bundle is a file name in frontend/dist/ (no folder), e.g. my_task.js
   */
  bundle: string;
  mount_contract?: "purelms.interactive_mount.v1";
}

/**
 * One declared output: the platform shows declared outputs and drops the others.
 */
export interface TaskOutput {
  name: string;
  type: TaskValueType;
  label: string;
  description?: string | null;
  unit?: string | null;
  display_hint?: string | null;
}

/**
 * One Layer 1 parameter: what the learner may submit, and the form that asks for it.
 */
export interface TaskParameter {
  name: string;
  type: TaskValueType;
  label: string;
  description?: string | null;
  default?: (string | boolean | number) | null;
  required?: boolean;
  unit?: string | null;
  min?: number | null;
  max?: number | null;
  step?: number | null;
  choices?: EnumChoice[] | null;
}

/**
 * The type of a parameter or an output.
 */
export type TaskValueType = "number" | "string" | "boolean" | "enum";

/**
 * Who vouches for a task: the platform team, a reviewed contributor, anyone.
 */
export type TrustTier = "platform" | "verified" | "community";
