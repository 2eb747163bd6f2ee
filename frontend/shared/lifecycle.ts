// The one run lifecycle every bundle shares, free of the DOM: submit -> poll -> render,
// restoring a finished `last_run` and resuming one in flight.
//
// * `submit(parameters)` calls `helpers.api.submit`. A rejection carrying `status`, `code`
//   and `detail` is a refusal (the learner can fix the parameters); anything else is a
//   transport failure. An answer without a run is a recorded submission.
// * A run is followed with `for await` over `helpers.api.pollStatus(run.id, {intervalSeconds:
//   run.poll_interval_seconds, signal, deadlineAt: run.deadline_at})` until a snapshot says
//   `is_terminal`. An iteration that throws or ends before that is a transport failure.
// * Transport failures are shown in plain, fixed words: never the error's own text or stack.
// * A new submission (or `stop()`) aborts the run being followed; late answers of an older
//   run are ignored.
import {
  type LastRun,
  type MountApi,
  type RunMessage,
  type RunReference,
  type RunStatusResponse,
  type SubmissionError,
  asSubmissionError,
  isTerminalStatus,
} from "./contract";

export type RunState =
  | { phase: "idle" }
  | { phase: "submitting" }
  | { phase: "refused"; error: SubmissionError; detail: string; fieldErrors: Record<string, string> }
  | { phase: "recorded" }
  | { phase: "active"; runId: string; status: string; pct: number | null; step: string }
  | {
      phase: "terminal";
      runId: string;
      status: string;
      outputs: Record<string, unknown>;
      messages: RunMessage[];
      runtimeSeconds: number | null;
    }
  | { phase: "transport"; text: string };

export const SEND_FAILED =
  "Your run could not be sent: the simulation service did not answer. Check your connection and try again.";
export const LOST_CONTACT =
  "Contact with the simulation service was lost while your run was under way. It may still finish: reload the page to see its result.";

/** A refusal's `detail` as text, whatever shape the host gave it. */
export function detailText(detail: unknown): string {
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail)) return detail.map((d) => detailText(d)).filter(Boolean).join("\n");
  if (typeof detail === "object" && detail !== null) {
    const record = detail as Record<string, unknown>;
    if (typeof record["detail"] === "string") return record["detail"];
    return Object.entries(record)
      .map(([key, value]) => `${key}: ${detailText(value)}`)
      .join("\n");
  }
  return "";
}

const FIELD_LINE = /^(?:parameters\.)?([a-z][a-z0-9_]*):\s*(.+)$/;

/** Lines of `text` that name one of `names` (`parameters.NAME: why` or `NAME: why`), by name. */
export function fieldErrorsOf(text: string, names: readonly string[]): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const line of text.split(/\r?\n|;\s+(?=parameters\.)/)) {
    const match = FIELD_LINE.exec(line.trim());
    if (match && match[1] !== undefined && match[2] !== undefined && names.includes(match[1])) {
      errors[match[1]] = errors[match[1]] ? `${errors[match[1]]} ${match[2]}` : match[2];
    }
  }
  return errors;
}

function messagesOf(value: unknown): RunMessage[] {
  if (!Array.isArray(value)) return [];
  return value
    .filter((m): m is Record<string, unknown> => typeof m === "object" && m !== null)
    .map((m) => ({
      level: (typeof m["level"] === "string" ? m["level"] : "info") as RunMessage["level"],
      code: typeof m["code"] === "string" ? m["code"] : "",
      text: typeof m["text"] === "string" ? m["text"] : "",
    }));
}

function outputsOf(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function pctOf(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? Math.min(100, Math.max(0, value)) : null;
}

export class RunSession {
  private generation = 0;
  private controller: AbortController | null = null;

  constructor(
    private readonly api: MountApi,
    private readonly onState: (state: RunState) => void,
    /** Parameter names, to attach a refusal's lines to their fields. */
    private readonly fieldNames: readonly string[] = [],
  ) {}

  /** Stop following the current run (its late answers are ignored). */
  stop(): void {
    this.generation += 1;
    this.controller?.abort();
    this.controller = null;
  }

  async submit(parameters: Record<string, unknown>): Promise<void> {
    this.stop();
    const generation = this.generation;
    this.onState({ phase: "submitting" });
    let answer;
    try {
      answer = await this.api.submit(parameters);
    } catch (error) {
      if (generation !== this.generation) return;
      const refusal = asSubmissionError(error);
      if (refusal) {
        const detail = detailText(refusal.detail);
        this.onState({ phase: "refused", error: refusal, detail, fieldErrors: fieldErrorsOf(detail, this.fieldNames) });
      } else {
        this.onState({ phase: "transport", text: SEND_FAILED });
      }
      return;
    }
    if (generation !== this.generation) return;
    const run = answer && typeof answer === "object" ? answer.run : null;
    if (!run || typeof run.id !== "string") {
      this.onState(answer?.is_complete ? { phase: "recorded" } : { phase: "transport", text: LOST_CONTACT });
      return;
    }
    await this.follow(run, generation);
  }

  /**
   * Show `last` without submitting: a finished run as it ended, a run in flight by following
   * it. Returns what it did.
   */
  restore(last: LastRun | undefined): "restored" | "resumed" | "none" {
    const run = last?.run;
    if (!run || typeof run.id !== "string") return "none";
    if (isTerminalStatus(run.status)) {
      this.stop();
      this.onState({
        phase: "terminal",
        runId: run.id,
        status: run.status,
        outputs: outputsOf(last?.outputs),
        messages: messagesOf(last?.messages),
        runtimeSeconds: null,
      });
      return "restored";
    }
    this.stop();
    void this.follow(run, this.generation);
    return "resumed";
  }

  private async follow(run: RunReference, generation: number): Promise<void> {
    const controller = new AbortController();
    this.controller = controller;
    this.onState({ phase: "active", runId: run.id, status: run.status, pct: null, step: "" });
    const interval = typeof run.poll_interval_seconds === "number" && run.poll_interval_seconds > 0 ? run.poll_interval_seconds : 2;
    try {
      const snapshots = this.api.pollStatus(run.id, {
        intervalSeconds: interval,
        signal: controller.signal,
        deadlineAt: run.deadline_at ?? null,
      });
      for await (const snapshot of snapshots as AsyncIterable<RunStatusResponse>) {
        if (generation !== this.generation) return;
        if (!snapshot || typeof snapshot !== "object") continue;
        const status = String(snapshot.status ?? "");
        if (snapshot.is_terminal === true) {
          this.onState({
            phase: "terminal",
            runId: run.id,
            status,
            outputs: outputsOf(snapshot.outputs),
            messages: messagesOf(snapshot.messages),
            runtimeSeconds: typeof snapshot.runtime_seconds === "number" ? snapshot.runtime_seconds : null,
          });
          this.controller = null;
          return;
        }
        this.onState({
          phase: "active",
          runId: run.id,
          status,
          pct: pctOf(snapshot.progress_pct),
          step: typeof snapshot.progress_step === "string" ? snapshot.progress_step : "",
        });
      }
    } catch {
      if (generation !== this.generation || controller.signal.aborted) return;
      this.onState({ phase: "transport", text: LOST_CONTACT });
      return;
    }
    if (generation === this.generation) this.onState({ phase: "transport", text: LOST_CONTACT });
  }
}

/** How the progress bar shows an active state (platform.md §3). */
export interface ProgressView {
  /** `indeterminate`: no percentage is known or may be shown. */
  mode: "indeterminate" | "determinate";
  pct: number | null;
  label: string;
}

export function progressView(
  state: Extract<RunState, { phase: "active" }>,
  reporting: string | undefined,
): ProgressView {
  if (state.status === "pending") return { mode: "indeterminate", pct: null, label: "Preparing your run…" };
  if (state.status === "dispatched") {
    // Starting the environment is not progress of the simulation: never a percentage.
    return { mode: "indeterminate", pct: null, label: "Starting the simulation environment…" };
  }
  const step = state.step || (state.status === "running" ? "Simulating…" : "Working…");
  if (reporting === "percentage" && state.pct !== null && state.status === "running") {
    return { mode: "determinate", pct: Math.round(state.pct), label: step };
  }
  return { mode: "indeterminate", pct: null, label: step };
}
