// The mount contract between the platform (or `purelms serve`) and a task's frontend bundle.
//
// A bundle is one ES module exporting `mount(element, config, helpers)`. The host passes the
// manifest's parameters (with any ranges it tightened) and outputs, the learner's last run if
// any, and helpers that talk to the run API. The bundle owns everything inside `element`.
import type { Message, ProgressCallback, RunStatus, SimulationOutputEnvelope } from "./wire";

export type {
  Message,
  MessageLevel,
  OutputArtifact,
  OutputStatus,
  ProgressCallback,
  RunStatus,
  SimulationOutputEnvelope,
} from "./wire";

/** One choice of an `enum` parameter (purelms.interactive_task.v1): the value and its label. */
export interface ChoiceSpec {
  value: string | number;
  label: string;
}

/** One entry of the manifest's `parameters` list (interactive_task.yaml). */
export interface ParameterSpec {
  name: string;
  /**
   * number | string | boolean | enum (purelms.interactive_task.v1), or the harness's older
   * integer | choice; anything else renders as a text input.
   */
  type: string;
  label?: string;
  unit?: string;
  description?: string;
  /** Inclusive bounds; the host may have tightened the manifest's range. */
  min?: number;
  max?: number;
  step?: number;
  default?: unknown;
  /** `{value, label}` for an enum; bare values for the older choice. */
  choices?: Array<ChoiceSpec | string | number>;
  required?: boolean;
}

/** One entry of the manifest's `outputs` list. */
export interface OutputSpec {
  name: string;
  type: string;
  label?: string;
  unit?: string;
  items?: string;
  values?: string;
  display_hint?: string;
}

/**
 * What the host knows about a run while it is under way and after it ended. `status` is a
 * RunStatus, but typed open: a host newer than the bundle may send a status the bundle does
 * not know, and the bundle must render a fallback for it rather than nothing.
 */
export interface RunSnapshot {
  /** The host's handle for the run (used with `follow` and `fetchOutput`). */
  run_id: string;
  status: RunStatus | (string & {});
  /** The latest progress callback the backend sent, if any. */
  progress: ProgressCallback | null;
  /** Messages known before the output envelope is fetched (host-side problems, for example). */
  messages: Message[];
}

export interface LastRun {
  parameters: Record<string, unknown>;
  snapshot: RunSnapshot;
  /** The run's output envelope, when it ended with one. */
  output: SimulationOutputEnvelope | null;
}

export interface MountConfig {
  slug: string;
  name: string;
  version: string;
  parameters: ParameterSpec[];
  outputs: OutputSpec[];
  lastRun: LastRun | null;
}

export interface MountHelpers {
  /** Start a run with these parameters; resolves with the run's handle. */
  submit(parameters: Record<string, unknown>): Promise<{ run_id: string }>;
  /**
   * Call `onUpdate` with every new snapshot of the run until it reaches a terminal status
   * (the last call carries it). Returns a function that stops following.
   */
  follow(runId: string, onUpdate: (snapshot: RunSnapshot) => void): () => void;
  /** The run's output envelope (purelms.output.v1), once the run is terminal. */
  fetchOutput(runId: string): Promise<SimulationOutputEnvelope>;
}

export interface MountHandle {
  unmount(): void;
}

export type Mount = (element: HTMLElement, config: MountConfig, helpers: MountHelpers) => MountHandle;

export const ACTIVE_STATUSES: readonly string[] = ["pending", "dispatched", "running"];
export const TERMINAL_STATUSES: readonly string[] = [
  "success",
  "failed_simulation",
  "failed_runtime",
  "cancelled",
  "timed_out",
];

export function isTerminal(status: string): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export function isKnownStatus(status: string): boolean {
  return isTerminal(status) || ACTIVE_STATUSES.includes(status);
}

/**
 * A `follow` for hosts that can only poll: asks `getRun` every `intervalMs` and reports each
 * snapshot that differs from the last one, until a terminal status. Unknown statuses are
 * reported and polling continues (they may be new non-terminal states).
 */
export function pollingFollow(
  getRun: (runId: string) => Promise<RunSnapshot>,
  intervalMs = 400,
  onError: (error: unknown) => void = () => {},
): MountHelpers["follow"] {
  return (runId, onUpdate) => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let last = "";
    const tick = async (): Promise<void> => {
      if (stopped) return;
      try {
        const snapshot = await getRun(runId);
        if (stopped) return;
        const key = JSON.stringify(snapshot);
        if (key !== last) {
          last = key;
          onUpdate(snapshot);
        }
        if (isTerminal(snapshot.status)) return;
      } catch (error) {
        onError(error);
      }
      timer = setTimeout(() => void tick(), intervalMs);
    };
    void tick();
    return () => {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
    };
  };
}
