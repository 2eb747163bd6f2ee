// Types for the echo backend's frontend bundle.
//
// The parameter and output types mirror backends/echo/interactive_task.yaml, which is
// generated from the backend's pydantic models. The wire types are the parts of the
// purelms.*.v1 contract this bundle reads; `nox -s wire_sync` checks them against the
// TypeScript generated from the contract's JSON Schema.

export interface EchoParameters {
  message?: string;
  repeat?: number;
  delay_seconds?: number;
  fail_with?: "nothing" | "simulation" | "runtime";
}

export interface EchoOutputs {
  slug: string;
  echoed: string;
  parameters: { [name: string]: unknown };
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

export type OutputStatus = "success" | "failed_simulation" | "failed_runtime" | "cancelled" | "timed_out";

export type MessageLevel = "debug" | "info" | "warning" | "error";

export interface Message {
  level: MessageLevel;
  code?: string;
  text: string;
}

export interface OutputArtifact {
  filename: string;
  mime_type: string;
  uri: string;
  sha256: string;
  size_bytes: number;
  label?: string;
}

export interface SimulationOutputEnvelope {
  schema_version: "purelms.output.v1";
  run_id: string;
  status: OutputStatus;
  outputs?: { [name: string]: unknown };
  artifacts?: OutputArtifact[];
  messages?: Message[];
  metrics: { [name: string]: number } | null;
  runtime_seconds?: number;
}

export interface ProgressCallback {
  progress_pct: number;
  step?: string;
  elapsed_seconds: number | null;
}
