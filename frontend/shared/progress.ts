// The bundle's own progress bar, used when the host offers none (`helpers.ui` absent). It
// behaves as the platform's does: bound to the task's `progress_reporting`, it stays
// indeterminate for `none` and becomes determinate only after a non-null percentage. Its
// texts are set with textContent.
import type { ProgressBar } from "./contract";

export function createOwnProgressBar(doc: Document, reporting: string | undefined): ProgressBar {
  const element = doc.createElement("div");
  element.className = "plms-progress";
  const bar = doc.createElement("progress");
  bar.max = 100;
  bar.setAttribute("aria-label", "Run progress");
  const text = doc.createElement("span");
  text.className = "plms-progress-text";
  element.append(bar, text);
  let seenPercentage = false;
  let last = 0;

  const show = (mode: string, label: string | undefined): void => {
    element.dataset["mode"] = mode;
    bar.hidden = mode === "error";
    text.textContent = label ?? "";
  };
  const indeterminate = (label?: string): void => {
    bar.removeAttribute("value");
    show("indeterminate", label);
  };
  const determinate = (pct: number, label?: string): void => {
    if (reporting !== "percentage" || !Number.isFinite(pct)) {
      indeterminate(label);
      return;
    }
    seenPercentage = true;
    last = Math.min(100, Math.max(0, Math.round(pct)));
    bar.value = last;
    show("determinate", `${last} %${label ? ` · ${label}` : ""}`);
  };
  indeterminate();
  return {
    element,
    update(pct, label) {
      if (pct !== null) determinate(pct, label);
      else if (seenPercentage) determinate(last, label);
      else indeterminate(label);
    },
    indeterminate,
    determinate,
    complete(label) {
      bar.value = 100;
      show("complete", label);
    },
    error(label) {
      show("error", label);
    },
    remove() {
      element.remove();
    },
  };
}
