// How each run status reads to a learner (platform.md §3), as pure functions returning HTML.
// `pending` is the preparation, `dispatched` the start of the simulation environment (never
// with a percentage), `running` the simulation with its percentage and step when known, and
// each terminal status its own title. A status this code does not know gets an explicit
// fallback, never an empty panel.
import type { RunMessage, RunOutcome } from "./contract";
import { type Escape, formatNumber } from "./html";

export type StatusKind = "active" | "success" | "failure" | "unknown";

export interface StatusText {
  kind: StatusKind;
  title: string;
  detail: string;
}

const TEXTS: Record<string, StatusText> = {
  pending: { kind: "active", title: "Preparing your run", detail: "Your parameters were accepted; the run is being prepared." },
  dispatched: {
    kind: "active",
    title: "Starting the simulation environment",
    detail: "This can take a few seconds before the simulation itself begins.",
  },
  running: { kind: "active", title: "Simulating", detail: "The simulation is running." },
  success: { kind: "success", title: "Finished", detail: "The simulation finished. Your results are below." },
  failed_simulation: {
    kind: "failure",
    title: "The simulation could not finish",
    detail: "The simulation stopped with an error for these parameters. Read the messages below, change the parameters and try again.",
  },
  failed_runtime: {
    kind: "failure",
    title: "The run could not be completed",
    detail: "Something went wrong before or around the simulation. Read the messages below; if they do not help, try again later.",
  },
  cancelled: { kind: "failure", title: "The run was cancelled", detail: "The run was stopped before it finished." },
  timed_out: {
    kind: "failure",
    title: "The run took too long",
    detail: "It was stopped at its time limit. Try again; if it happens again, try a simpler case.",
  },
};

export function statusText(status: string): StatusText {
  return (
    TEXTS[status] ?? {
      kind: "unknown",
      title: `Unknown run status: ${status || "(empty)"}`,
      detail: "This page does not know this run status. The run's messages, if any, are listed below.",
    }
  );
}

const LEVELS: Record<string, string> = { debug: "Debug", info: "Note", warning: "Warning", error: "Error" };

/** The run's messages (debug ones left out), escaped. */
export function messagesHtml(messages: readonly RunMessage[], esc: Escape): string {
  const shown = messages.filter((m) => m && m.level !== "debug");
  if (!shown.length) return "";
  return (
    `<ul class="plms-messages">` +
    shown
      .map(
        (m) =>
          `<li class="plms-msg plms-msg-${esc(String(m.level))}" data-level="${esc(String(m.level))}">` +
          `<strong>${esc(LEVELS[m.level] ?? String(m.level))}:</strong> <span class="plms-msg-text">${esc(String(m.text ?? ""))}</span>` +
          (m.code ? ` <code class="plms-msg-code">${esc(String(m.code))}</code>` : "") +
          `</li>`,
      )
      .join("") +
    `</ul>`
  );
}

/** The panel of a status: icon, title, detail (and the runtime once finished). */
export function statusPanelHtml(status: string, esc: Escape, runtimeSeconds: number | null = null): string {
  const text = statusText(status);
  const icon = { active: "⏳", success: "✔", failure: "✖", unknown: "?" }[text.kind];
  const runtime =
    text.kind !== "active" && runtimeSeconds !== null && Number.isFinite(runtimeSeconds)
      ? ` <span class="plms-runtime">(${esc(formatNumber(runtimeSeconds, 2))} s)</span>`
      : "";
  return (
    `<div class="plms-status plms-status-${text.kind}" data-kind="${text.kind}">` +
    `<h3><span aria-hidden="true">${icon}</span> ${esc(text.title)}${runtime}</h3>` +
    `<p class="plms-detail">${esc(text.detail)}</p></div>`
  );
}

/** The outcome a host reported (passed, score), when it did. */
export function outcomeHtml(outcome: RunOutcome | null, esc: Escape): string {
  if (!outcome) return "";
  const score =
    outcome.score === null ? "" : `<span class="plms-score">Score: <strong>${esc(formatNumber(Math.round(outcome.score * 100)))} %</strong></span>`;
  return (
    `<div class="plms-outcome plms-outcome-${outcome.passed ? "passed" : "not-passed"}" data-passed="${outcome.passed}">` +
    `<strong>${outcome.passed ? "✔ Goal reached" : "✖ Goal not reached yet"}</strong>` +
    score +
    `</div>`
  );
}
