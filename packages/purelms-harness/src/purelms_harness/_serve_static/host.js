// The host page of `purelms serve`: mounts the task's bundle as the platform does
// (purelms.interactive_mount.v1, platform.md §3) and nothing more. The bundle gets
// `mount(element, config, helpers)` with the block's Layer 2 config plus `last_run`, and
// helpers: `api.submit` / `api.pollStatus` over this server's HTTP API, `escape`, `ui` (a
// progress bar bound to the task's progress_reporting, a submission error view) and `meta`.
// Outside the bundle's element, the page shows the task's name and description and the
// attempt's outcome, as the platform records it.
const MOUNT_CONTRACT = "purelms.interactive_mount.v1";
const OUTCOME_KEY = "_lms_outcome";

function escapeHtml(text) {
  return String(text)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

class SubmissionError extends Error {
  constructor(status, code, detail) {
    super(typeof detail === "string" ? detail : `${status} ${code}`);
    this.name = "SubmissionError";
    this.status = status;
    this.code = code;
    this.detail = detail;
  }
}

async function answer(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    throw new SubmissionError(response.status, body?.code ?? "http_error", body?.detail ?? response.statusText);
  }
  return body;
}

function pause(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

function createApi(submitUrl, onSnapshot) {
  return {
    async submit(parameters) {
      const response = await fetch(submitUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ parameters }),
      });
      return answer(response);
    },
    pollStatus(runId, { intervalSeconds = 2, signal, deadlineAt = null } = {}) {
      void deadlineAt; // the server enforces the run's timeout and reports timed_out
      return (async function* () {
        for (;;) {
          if (signal?.aborted) return;
          const snapshot = await answer(await fetch(`/api/runs/${encodeURIComponent(runId)}`, { signal }));
          onSnapshot(snapshot);
          yield snapshot;
          if (snapshot.is_terminal) return;
          await pause(intervalSeconds * 1000, signal);
        }
      })();
    },
  };
}

function createProgressBar(reporting) {
  const element = document.createElement("div");
  element.className = "host-progress";
  element.dataset.hostProgress = "";
  const bar = document.createElement("progress");
  bar.max = 100;
  bar.setAttribute("aria-label", "Run progress");
  const text = document.createElement("span");
  element.append(bar, text);
  let seen = false;
  let last = 0;
  const show = (mode, label) => {
    element.dataset.mode = mode;
    bar.hidden = mode === "error";
    text.textContent = label ?? "";
  };
  const indeterminate = (label) => {
    bar.removeAttribute("value");
    show("indeterminate", label);
  };
  const determinate = (pct, label) => {
    if (reporting !== "percentage" || typeof pct !== "number") return indeterminate(label);
    seen = true;
    last = Math.max(0, Math.min(100, Math.round(pct)));
    bar.value = last;
    show("determinate", `${last} %${label ? ` · ${label}` : ""}`);
  };
  indeterminate();
  return {
    element,
    update: (pct, label) => (pct !== null && pct !== undefined ? determinate(pct, label) : seen ? determinate(last, label) : indeterminate(label)),
    indeterminate,
    determinate,
    complete: (label) => {
      bar.value = 100;
      show("complete", label);
    },
    error: (label) => show("error", label),
    remove: () => element.remove(),
  };
}

function renderSubmissionError(error) {
  if (!(error instanceof SubmissionError)) return null;
  const box = document.createElement("div");
  box.className = "host-error";
  box.dataset.hostError = error.code;
  const title = document.createElement("strong");
  title.textContent = error.status === 400 ? "These parameters were not accepted; nothing was run." : "The submission was not accepted.";
  const list = document.createElement("ul");
  for (const line of String(typeof error.detail === "string" ? error.detail : JSON.stringify(error.detail)).split("\n")) {
    if (!line.trim()) continue;
    const item = document.createElement("li");
    item.textContent = line;
    list.append(item);
  }
  box.append(title, list);
  return box;
}

function showOutcome(outputs) {
  const outcome = outputs?.[OUTCOME_KEY];
  const box = document.getElementById("attempt");
  if (!outcome || typeof outcome.passed !== "boolean") return;
  const score = typeof outcome.score === "number" ? ` · score ${Math.round(outcome.score * 100)} %` : "";
  box.textContent = `Attempt recorded: ${outcome.passed ? "passed" : "not passed"}${score}`;
  box.className = outcome.passed ? "passed" : "not-passed";
  box.dataset.passed = String(outcome.passed);
  box.hidden = false;
}

function showDescription(markdown) {
  const target = document.getElementById("description");
  for (const block of String(markdown).split(/\n\s*\n/)) {
    if (!block.trim()) continue;
    const paragraph = document.createElement("p");
    // The one markdown construct the descriptions use: **bold**. Everything else is text.
    block.split(/(\*\*[^*]+\*\*)/).forEach((part) => {
      if (/^\*\*[^*]+\*\*$/.test(part)) {
        const strong = document.createElement("strong");
        strong.textContent = part.slice(2, -2);
        paragraph.append(strong);
      } else {
        paragraph.append(document.createTextNode(part.replace(/\s*\n\s*/g, " ")));
      }
    });
    target.append(paragraph);
  }
  document.getElementById("about").hidden = false;
}

try {
  const info = await answer(await fetch("/api/mount"));
  document.title = info.task.name;
  document.getElementById("task-name").textContent = info.task.name;
  showDescription(info.task.description);
  const module = await import(info.bundle_url);
  if (module.mountContract !== MOUNT_CONTRACT) {
    throw new Error(`the bundle's mountContract is ${JSON.stringify(module.mountContract)}, not ${MOUNT_CONTRACT}`);
  }
  const mount = module.mount ?? module.default;
  if (typeof mount !== "function") throw new Error("the bundle exports no mount function");
  const onSnapshot = (snapshot) => {
    if (snapshot.is_terminal) showOutcome(snapshot.outputs);
  };
  const helpers = {
    api: createApi(info.submit_url, onSnapshot),
    escape: escapeHtml,
    ui: {
      createProgressBar: () => createProgressBar(info.meta.progressReporting),
      renderSubmissionError,
    },
    meta: info.meta,
  };
  showOutcome(info.config.last_run?.outputs);
  window.purelmsMounted = await mount(document.getElementById("task"), info.config, helpers);
} catch (error) {
  document.getElementById("boot-error").textContent = `The task could not be shown: ${error?.message ?? error}`;
}
