// purelms-shared contract: 0.8.0 sha256:f78c7d4890f6cf56
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
  BackendCallbackEvent: BackendCallbackEvent;
  EvidenceReference: EvidenceReference;
  ExecutionContext: ExecutionContext;
  InputFile: InputFile;
  InputFileRole: InputFileRole;
  JsonValue: JsonValue;
  Message: Message;
  MessageLevel: MessageLevel;
  OutputArtifact: OutputArtifact;
  OutputStatus: OutputStatus;
  ResourceFile: ResourceFile;
  RunStatus: RunStatus;
  ServiceEnvironment: ServiceEnvironment;
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

export type BackendCallbackEvent = "progress" | "complete";

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

export interface Message {
  level: MessageLevel;
  code?: string;
  text: string;
}

export type MessageLevel = "debug" | "info" | "warning" | "error";

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
