// purelms-shared contract: 0.8.0 sha256:267928a989671574
//
// Types for the echo backend's frontend bundle.
//
// EchoParameters and EchoOutputs mirror backends/echo/interactive_task.yaml, which is
// generated from the backend's pydantic models; `nox -s wire_sync` proves they are
// identical (and `nox -s wire_sync -- --write` regenerates them). The wire types between
// the purelms-wire markers are copied from the generated purelms-wire.ts: the BEGIN line
// names the types this bundle reads, `nox -s lockstep_bump` rewrites the block and the
// contract line above.

export interface EchoParameters { [name: string]: unknown }

export interface EchoOutputs {
  /** Parameters received */
  echoed_parameters: { [name: string]: unknown };
  /** Backend slug */
  echoed_backend_slug: string;
}

// BEGIN purelms-wire: RunStatus SimulationOutputEnvelope ProgressCallback
// Copied from purelms-wire.ts (purelms-shared) with every type they use; rewritten by
// `nox -s lockstep_bump` and `nox -s wire_sync -- --write`. Do not edit by hand.

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

export interface ProgressCallback {
  progress_pct: number;
  step?: string;
  elapsed_seconds?: number | null;
}

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

export type RunStatus =
  | "pending"
  | "dispatched"
  | "running"
  | "success"
  | "failed_simulation"
  | "failed_runtime"
  | "cancelled"
  | "timed_out";

// END purelms-wire
