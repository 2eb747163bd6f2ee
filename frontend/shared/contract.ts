// The platform's frontend mount contract, purelms.interactive_mount.v1 (platform.md §3), as
// TypeScript types: what the host passes to `mount(element, config, helpers)` and what its
// helpers answer. These types describe the platform; a bundle relies on nothing else.
//
// Choices where §3 is silent (each is what the platform's users would expect):
// * `attempt` in a submission answer is opaque to a bundle (`unknown`): the bundle never
//   reads it.
// * `mount` returns a `MountHandle` (`unmount()`); a host may ignore it.
// * The outcome of a finished run (`passed`, `score`, `completion`) is not part of a status
//   snapshot in §3. A host that knows it may put it into the terminal snapshot's `outputs`
//   (and `last_run.outputs`) under the key `_lms_outcome` (see OUTCOME_KEY): no declared
//   output can take that name, since output names start with a letter. `purelms serve` does;
//   a host that does not simply gets no outcome panel.
import type { EnumChoice, MessageLevel, ProgressReporting, RunStatus } from "./wire";

export const MOUNT_CONTRACT = "purelms.interactive_mount.v1";

/** A run the platform started for a submission. */
export interface RunReference {
  id: string;
  status: RunStatus;
  status_url: string;
  poll_interval_seconds: number;
  websocket_url: string | null;
  deadline_at: string | null;
}

/** What `helpers.api.submit` resolves with. */
export interface SubmissionOutcomeResponse {
  attempt: unknown;
  run: RunReference | null;
  is_complete: boolean;
}

/** One message of a run, as the status snapshots carry them. */
export interface RunMessage {
  level: MessageLevel;
  code: string;
  text: string;
}

/** One snapshot of a run, yielded by `helpers.api.pollStatus` once per interval. */
export interface RunStatusResponse {
  id: string;
  status: RunStatus;
  progress_pct: number | null;
  progress_step: string;
  is_terminal: boolean;
  completed_at: string | null;
  runtime_seconds: number | null;
  /** Filled on a terminal success. */
  outputs: Record<string, unknown>;
  messages: RunMessage[];
}

export interface PollStatusOptions {
  intervalSeconds?: number;
  signal?: AbortSignal;
  deadlineAt?: string | null;
}

export interface MountApi {
  /** Resolves on a 2xx answer; rejects with a `SubmissionError` on any other. */
  submit(parameters: Record<string, unknown>): Promise<SubmissionOutcomeResponse>;
  pollStatus(runId: string, options?: PollStatusOptions): AsyncIterable<RunStatusResponse>;
}

/** The error `submit` rejects with on a non-2xx answer. */
export interface SubmissionError extends Error {
  status: number;
  code: string;
  detail: unknown;
}

/** A host's progress bar, already bound to the task's `progress_reporting`. */
export interface ProgressBar {
  element: HTMLElement;
  update(pct: number | null, label?: string): void;
  indeterminate(label?: string): void;
  determinate(pct: number, label?: string): void;
  complete(label?: string): void;
  error(label?: string): void;
  remove(): void;
}

export interface MountUi {
  createProgressBar(): ProgressBar;
  renderSubmissionError(error: unknown): HTMLElement | null;
}

export interface MountMeta {
  bundle: string;
  unitBlockId: number | string | null;
  creditCost?: number;
  backendAvailable?: boolean;
  progressReporting?: ProgressReporting;
}

export interface MountHelpers {
  api: MountApi;
  escape(text: string): string;
  ui?: MountUi;
  meta: MountMeta;
}

/** Layer 2: one parameter as a course block sets it (absent keys: the manifest's). */
export interface BlockParameterSettings {
  visible?: boolean;
  enabled?: boolean;
  default?: string | number | boolean;
  min?: number;
  max?: number;
  /** A subset of the manifest's choices: `{value, label}` or a bare value. */
  choices?: Array<EnumChoice | string | number>;
}

/** Layer 2: one output as a course block shows it. */
export interface BlockOutputSettings {
  visible?: boolean;
  display_hint?: string;
}

/** A run to restore (finished) or resume (in flight). */
export interface LastRun {
  parameters?: Record<string, unknown>;
  run?: RunReference;
  outputs?: Record<string, unknown>;
  messages?: RunMessage[];
}

/** The Layer 2 object of the block, plus the learner's last run. May be `{}`. */
export interface MountConfig {
  parameters?: Record<string, BlockParameterSettings>;
  outputs?: Record<string, BlockOutputSettings>;
  last_run?: LastRun;
}

export interface MountHandle {
  unmount(): void;
}

export type Mount = (element: HTMLElement, config: MountConfig, helpers: MountHelpers) => MountHandle;

// ---------------------------------------------------------------------------------------

/** The key under which a host may put the run's outcome into the terminal `outputs`. */
export const OUTCOME_KEY = "_lms_outcome";

/** The standard triple the platform records on an attempt. */
export interface RunOutcome {
  passed: boolean;
  score: number | null;
  completion: number | null;
}

export const ACTIVE_STATUSES: readonly string[] = ["pending", "dispatched", "running"];
export const TERMINAL_STATUSES: readonly string[] = [
  "success",
  "failed_simulation",
  "failed_runtime",
  "cancelled",
  "timed_out",
];

export function isTerminalStatus(status: string): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** The outcome a host put into `outputs`, when it is well formed; otherwise null. */
export function outcomeOf(outputs: Record<string, unknown> | null | undefined): RunOutcome | null {
  const raw = outputs?.[OUTCOME_KEY];
  if (typeof raw !== "object" || raw === null) return null;
  const { passed, score, completion } = raw as Record<string, unknown>;
  const share = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);
  if (typeof passed !== "boolean") return null;
  return { passed, score: share(score), completion: share(completion) };
}

/** `error` as the contract's SubmissionError (a non-2xx answer), or null for anything else. */
export function asSubmissionError(error: unknown): SubmissionError | null {
  if (typeof error !== "object" || error === null) return null;
  const { status, code } = error as Record<string, unknown>;
  if (typeof status !== "number" || !Number.isFinite(status) || status < 300) return null;
  if (typeof code !== "string") return null;
  return error as SubmissionError;
}
