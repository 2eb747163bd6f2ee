// How every run status looks: one pure function from (snapshot, envelope) to a view, and one
// from the view to HTML. A status this code does not know gets an explicit fallback panel.
import { esc } from "./html";
import type { Message, RunSnapshot, SimulationOutputEnvelope } from "./mount";

export type StatusKind = "active" | "success" | "failure" | "unknown";

export interface StatusView {
  status: string;
  kind: StatusKind;
  title: string;
  detail: string;
  /** 0..100 while active (null when no progress has arrived yet). */
  progressPct: number | null;
  step: string;
  messages: Message[];
}

const TITLES: Record<string, [StatusKind, string, string]> = {
  pending: ["active", "Waiting to start", "The run is queued."],
  dispatched: ["active", "Starting", "The simulation container is starting."],
  running: ["active", "Running", "The simulation is running."],
  success: ["success", "Finished", "The run finished successfully."],
  failed_simulation: ["failure", "Simulation failed", "The simulation engine could not complete this model."],
  failed_runtime: ["failure", "Run failed", "The run failed before or outside the simulation (for example, invalid parameters)."],
  cancelled: ["failure", "Cancelled", "The run was cancelled before it finished."],
  timed_out: ["failure", "Timed out", "The run took longer than its time limit and was stopped."],
};

export function statusView(snapshot: RunSnapshot, envelope: SimulationOutputEnvelope | null = null): StatusView {
  const status = envelope?.status ?? snapshot.status;
  const known = TITLES[status];
  const messages = [...snapshot.messages, ...(envelope?.messages ?? [])];
  if (!known) {
    return {
      status,
      kind: "unknown",
      title: `Unknown status: ${status || "(empty)"}`,
      detail: "This page does not know how to show this run status. The run's messages, if any, are listed below.",
      progressPct: snapshot.progress?.progress_pct ?? null,
      step: snapshot.progress?.step ?? "",
      messages,
    };
  }
  const [kind, title, detail] = known;
  return {
    status,
    kind,
    title,
    detail,
    progressPct: kind === "success" ? 100 : (snapshot.progress?.progress_pct ?? null),
    step: snapshot.progress?.step ?? "",
    messages,
  };
}

const LEVEL_LABEL: Record<string, string> = { debug: "Debug", info: "Info", warning: "Warning", error: "Error" };

export function messagesHtml(messages: Message[], { includeDebug = false } = {}): string {
  const shown = messages.filter((m) => includeDebug || m.level !== "debug");
  if (shown.length === 0) return "";
  return (
    `<ul class="plms-messages">` +
    shown
      .map(
        (m) =>
          `<li class="plms-msg plms-msg-${esc(m.level)}" data-level="${esc(m.level)}">` +
          `<strong>${esc(LEVEL_LABEL[m.level] ?? m.level)}</strong>` +
          (m.code ? ` <code>${esc(m.code)}</code>` : "") +
          `: <span class="plms-msg-text">${esc(m.text)}</span></li>`,
      )
      .join("") +
    `</ul>`
  );
}

export function statusHtml(view: StatusView): string {
  const icon = { active: "⏳", success: "✔", failure: "✖", unknown: "?" }[view.kind];
  let progress = "";
  if (view.kind === "active") {
    const pct = view.progressPct;
    progress =
      `<div class="plms-progress">` +
      (pct === null
        ? `<progress aria-label="Run progress"></progress> <span class="plms-progress-text">waiting for progress…</span>`
        : `<progress aria-label="Run progress" max="100" value="${pct}"></progress> ` +
          `<span class="plms-progress-text">${pct}%${view.step ? " – " + esc(view.step) : ""}</span>`) +
      `</div>`;
  }
  const failureWithoutMessages =
    (view.kind === "failure" || view.kind === "unknown") && view.messages.length === 0
      ? `<p class="plms-nomessages">The run reported no messages.</p>`
      : "";
  return (
    `<div class="plms-status plms-status-${view.kind}" data-status="${esc(view.status)}" data-kind="${view.kind}">` +
    `<h3><span aria-hidden="true">${icon}</span> ${esc(view.title)}</h3>` +
    `<p class="plms-detail">${esc(view.detail)}</p>` +
    progress +
    `</div>` +
    (view.kind === "success" ? "" : messagesHtml(view.messages) + failureWithoutMessages)
  );
}
