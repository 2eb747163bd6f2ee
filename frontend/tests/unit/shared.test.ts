// The shared mount-contract code (frontend/shared), without a DOM: the run lifecycle against
// scripted `helpers.api` answers, the progress rules, the form builder under Layer 2, the
// status, outcome and result views.
import assert from "node:assert/strict";
import { test } from "node:test";

import type {
  MountApi,
  PollStatusOptions,
  RunReference,
  RunStatusResponse,
  SubmissionOutcomeResponse,
} from "../../shared/contract";
import { outcomeOf } from "../../shared/contract";
import {
  collectSubmission,
  effectiveFields,
  formHtml,
  initialValues,
  parseOpenParameters,
  rangeText,
} from "../../shared/form";
import { escapeHtml, prettyUnit, withUnit } from "../../shared/html";
import {
  LOST_CONTACT,
  type RunState,
  RunSession,
  SEND_FAILED,
  detailText,
  progressView,
} from "../../shared/lifecycle";
import { effectiveOutputs, resultsHtml } from "../../shared/results";
import { messagesHtml, outcomeHtml, statusPanelHtml, statusText } from "../../shared/status";
import type { TaskParameter } from "../../shared/wire";

// ------------------------------------------------------------------ a scripted helpers.api

const RUN: RunReference = {
  id: "run-1",
  status: "pending",
  status_url: "/api/runs/run-1",
  poll_interval_seconds: 0.5,
  websocket_url: null,
  deadline_at: "2030-01-01T00:00:00Z",
};

function snap(status: RunStatusResponse["status"], extra: Partial<RunStatusResponse> = {}): RunStatusResponse {
  const terminal = ["success", "failed_simulation", "failed_runtime", "cancelled", "timed_out"].includes(status);
  return {
    id: "run-1",
    status,
    progress_pct: null,
    progress_step: "",
    is_terminal: terminal,
    completed_at: terminal ? "2030-01-01T00:00:01Z" : null,
    runtime_seconds: terminal ? 1.5 : null,
    outputs: {},
    messages: [],
    ...extra,
  };
}

interface Script {
  submit?: (parameters: Record<string, unknown>) => Promise<SubmissionOutcomeResponse>;
  snapshots?: RunStatusResponse[];
  /** Throw this after the snapshots instead of ending. */
  failAfter?: unknown;
}

function scriptedApi(script: Script) {
  const calls: { submit: Record<string, unknown>[]; poll: { runId: string; options: PollStatusOptions | undefined }[] } = {
    submit: [],
    poll: [],
  };
  let pulled = 0;
  const api: MountApi = {
    submit(parameters) {
      calls.submit.push(parameters);
      return script.submit ? script.submit(parameters) : Promise.resolve({ attempt: { id: 1 }, run: RUN, is_complete: false });
    },
    pollStatus(runId, options) {
      calls.poll.push({ runId, options });
      return (async function* () {
        for (const s of script.snapshots ?? []) {
          pulled += 1;
          yield s;
        }
        if (script.failAfter !== undefined) throw script.failAfter;
      })();
    },
  };
  return { api, calls, pulled: () => pulled };
}

async function run(session: RunSession, parameters: Record<string, unknown> = {}): Promise<void> {
  await session.submit(parameters);
}

function recorder(): { states: RunState[]; onState: (s: RunState) => void } {
  const states: RunState[] = [];
  return { states, onState: (s) => states.push(s) };
}

const phases = (states: RunState[]): string[] =>
  states.map((s) => (s.phase === "active" || s.phase === "terminal" ? `${s.phase}:${s.status}` : s.phase));

// ------------------------------------------------------------------ the lifecycle

test("submit, then poll with the run's interval and deadline until is_terminal", async () => {
  const { api, calls, pulled } = scriptedApi({
    snapshots: [
      snap("dispatched"),
      snap("running", { progress_pct: 40, progress_step: "day 120" }),
      snap("success", { outputs: { x: 1 }, messages: [{ level: "info", code: "OK", text: "done" }] }),
      snap("success"),
    ],
  });
  const { states, onState } = recorder();
  await run(new RunSession(api, onState), { a: 1 });
  assert.deepEqual(calls.submit, [{ a: 1 }]);
  assert.equal(calls.poll.length, 1);
  assert.equal(calls.poll[0]?.runId, "run-1");
  assert.equal(calls.poll[0]?.options?.intervalSeconds, 0.5);
  assert.equal(calls.poll[0]?.options?.deadlineAt, "2030-01-01T00:00:00Z");
  assert.ok(calls.poll[0]?.options?.signal instanceof AbortSignal);
  assert.deepEqual(phases(states), ["submitting", "active:pending", "active:dispatched", "active:running", "terminal:success"]);
  const running = states[3] as Extract<RunState, { phase: "active" }>;
  assert.equal(running.pct, 40);
  assert.equal(running.step, "day 120");
  const done = states[4] as Extract<RunState, { phase: "terminal" }>;
  assert.deepEqual(done.outputs, { x: 1 });
  assert.equal(done.runtimeSeconds, 1.5);
  assert.equal(pulled(), 3, "no snapshot is read after the terminal one");
});

test("every terminal status ends the lifecycle with its messages", async () => {
  for (const status of ["failed_simulation", "failed_runtime", "cancelled", "timed_out"] as const) {
    const { api } = scriptedApi({ snapshots: [snap(status, { messages: [{ level: "error", code: "X", text: `why ${status}` }] })] });
    const { states, onState } = recorder();
    await run(new RunSession(api, onState));
    const last = states.at(-1) as Extract<RunState, { phase: "terminal" }>;
    assert.equal(last.phase, "terminal");
    assert.equal(last.status, status);
    assert.equal(last.messages[0]?.text, `why ${status}`);
  }
});

test("a refusal (status, code, detail) is told from a transport failure", async () => {
  const refusal = Object.assign(new Error("400"), {
    status: 400,
    code: "invalid_parameters",
    detail: "parameters.height_m: 9 is above the maximum 8\nparameters.nope: unknown parameter",
  });
  const refused = recorder();
  await run(new RunSession(scriptedApi({ submit: () => Promise.reject(refusal) }).api, refused.onState, ["height_m"]));
  const state = refused.states.at(-1) as Extract<RunState, { phase: "refused" }>;
  assert.equal(state.phase, "refused");
  assert.deepEqual(state.fieldErrors, { height_m: "9 is above the maximum 8" });
  assert.match(state.detail, /unknown parameter/);

  const broken = recorder();
  const failure = new TypeError("Failed to fetch at http://internal:8000/x");
  await run(new RunSession(scriptedApi({ submit: () => Promise.reject(failure) }).api, broken.onState));
  assert.deepEqual(broken.states.at(-1), { phase: "transport", text: SEND_FAILED });
});

test("a poll that throws or ends early is a transport failure in plain words", async () => {
  const thrown = recorder();
  await run(new RunSession(scriptedApi({ snapshots: [snap("running")], failAfter: new Error("ECONNRESET stack…") }).api, thrown.onState));
  assert.deepEqual(thrown.states.at(-1), { phase: "transport", text: LOST_CONTACT });
  const ended = recorder();
  await run(new RunSession(scriptedApi({ snapshots: [snap("running")] }).api, ended.onState));
  assert.deepEqual(ended.states.at(-1), { phase: "transport", text: LOST_CONTACT });
  assert.doesNotMatch(LOST_CONTACT + SEND_FAILED, /Error|stack|ECONN|http/);
});

test("a submission without a run is recorded when complete", async () => {
  const { states, onState } = recorder();
  const api = scriptedApi({ submit: () => Promise.resolve({ attempt: null, run: null, is_complete: true }) }).api;
  await run(new RunSession(api, onState));
  assert.deepEqual(phases(states), ["submitting", "recorded"]);
});

test("last_run: a finished run is restored without polling, one in flight is resumed", async () => {
  const finished = scriptedApi({});
  const restored = recorder();
  const outcome = new RunSession(finished.api, restored.onState).restore({
    parameters: { a: 1 },
    run: { ...RUN, status: "success" },
    outputs: { x: 2 },
    messages: [{ level: "warning", code: "W", text: "careful" }],
  });
  assert.equal(outcome, "restored");
  assert.equal(finished.calls.poll.length, 0);
  const state = restored.states.at(-1) as Extract<RunState, { phase: "terminal" }>;
  assert.deepEqual([state.status, state.outputs, state.messages[0]?.text], ["success", { x: 2 }, "careful"]);

  const inFlight = scriptedApi({ snapshots: [snap("running", { progress_pct: 50 }), snap("success")] });
  const resumed = recorder();
  assert.equal(new RunSession(inFlight.api, resumed.onState).restore({ run: { ...RUN, status: "running" } }), "resumed");
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(inFlight.calls.poll[0]?.runId, "run-1");
  assert.deepEqual(phases(resumed.states), ["active:running", "active:running", "terminal:success"]);
  assert.equal(new RunSession(inFlight.api, () => {}).restore({ parameters: { a: 1 } }), "none");
});

test("a new submission aborts the run being followed and ignores its late snapshots", async () => {
  let release: () => void = () => {};
  const gate = new Promise<void>((r) => (release = r));
  let signal: AbortSignal | undefined;
  const api: MountApi = {
    submit: () => Promise.resolve({ attempt: null, run: RUN, is_complete: false }),
    pollStatus(_id, options) {
      signal = options?.signal;
      return (async function* () {
        await gate;
        yield snap("success", { outputs: { stale: true } });
      })();
    },
  };
  const { states, onState } = recorder();
  const session = new RunSession(api, onState);
  const first = session.submit({});
  await new Promise((r) => setTimeout(r, 5));
  session.stop();
  assert.equal(signal?.aborted, true);
  release();
  await first;
  assert.ok(!states.some((s) => s.phase === "terminal"), "the stopped run's snapshot was rendered");
});

test("progress: dispatched never shows a percentage; determinate only for percentage reporting", () => {
  const active = (status: string, pct: number | null, step = "") => ({ phase: "active" as const, runId: "r", status, pct, step });
  assert.deepEqual(progressView(active("dispatched", 50), "percentage"), {
    mode: "indeterminate",
    pct: null,
    label: "Starting the simulation environment…",
  });
  assert.equal(progressView(active("pending", 10), "percentage").mode, "indeterminate");
  assert.deepEqual(progressView(active("running", 40.4, "day 120"), "percentage"), { mode: "determinate", pct: 40, label: "day 120" });
  assert.equal(progressView(active("running", 40), "none").mode, "indeterminate");
  assert.equal(progressView(active("running", null), "percentage").mode, "indeterminate");
});

test("a refusal's detail becomes text whatever its shape", () => {
  assert.equal(detailText("a"), "a");
  assert.equal(detailText(["a", "b"]), "a\nb");
  assert.equal(detailText({ detail: "c" }), "c");
  assert.equal(detailText({ height_m: ["too high"] }), "height_m: too high");
  assert.equal(detailText(null), "");
});

// ------------------------------------------------------------------ the form under Layer 2

const LAYER1: TaskParameter[] = [
  { name: "height_m", type: "number", label: "Height", unit: "m", min: 2, max: 8, step: 0.1, default: 2.7 },
  { name: "hours", type: "number", label: "Hours", unit: "h", min: 0, max: 23, step: 1, default: 7 },
  {
    name: "climate",
    type: "enum",
    label: "Climate",
    choices: [
      { value: "chicago", label: "Chicago" },
      { value: "tampa", label: "Tampa <FL>" },
      { value: "custom", label: "My own file" },
    ],
    default: "chicago",
  },
  { name: "setback", type: "boolean", label: "Night setback", default: false },
  { name: "note", type: "string", label: "Note", default: "" },
];

test("Layer 2 hides, disables, tightens and narrows the choices; it cannot widen", () => {
  const fields = effectiveFields(LAYER1, {
    height_m: { min: 1, max: 5, default: 3 },
    hours: { visible: false, default: 8 },
    climate: { choices: ["tampa", { value: "chicago", label: "Windy city" }, "mars"] },
    setback: { enabled: false, default: true },
    unknown: { visible: false },
  });
  const [height, hours, climate, setback] = fields;
  assert.deepEqual([height?.min, height?.max, height?.default], [2, 5, 3], "min 1 would widen: ignored");
  assert.deepEqual([hours?.visible, hours?.default], [false, 8]);
  assert.deepEqual(climate?.choices, [
    { value: "tampa", label: "Tampa <FL>" },
    { value: "chicago", label: "Windy city" },
  ]);
  assert.deepEqual([setback?.enabled, setback?.default], [false, true]);
  assert.equal(fields.length, LAYER1.length);
});

test("the form renders every visible parameter with its name; hidden ones not at all", () => {
  const fields = effectiveFields(LAYER1, { hours: { visible: false }, setback: { enabled: false }, height_m: { max: 5 } });
  const { values } = initialValues(fields, undefined);
  const html = formHtml(fields, values, escapeHtml, (n) => `id-${n}`);
  for (const name of ["height_m", "climate", "setback", "note"]) assert.match(html, new RegExp(`name="${name}"`));
  assert.doesNotMatch(html, /name="hours"/);
  assert.match(html, /type="number" id="id-height_m" name="height_m" data-role="value" inputmode="decimal" value="2.7" min="2" max="5"/);
  assert.match(html, /type="range" name="height_m"/);
  assert.match(html, /name="setback" disabled/);
  assert.match(html, /Set by your course/);
  assert.match(html, /<option value="tampa">Tampa &lt;FL&gt;<\/option>/);
  assert.match(html, /2 to 5 m/);
});

test("hidden and disabled parameters submit their defaults; others are checked in plain words", () => {
  const fields = effectiveFields(LAYER1, { hours: { visible: false, default: 8 }, setback: { enabled: false }, height_m: { max: 5 } });
  const ok = collectSubmission(fields, { height_m: "4.5", climate: "tampa", note: "hi", setback: true });
  assert.deepEqual(ok, { parameters: { height_m: 4.5, hours: 8, climate: "tampa", setback: false, note: "hi" }, errors: {} });
  const bad = collectSubmission(fields, { height_m: "6", climate: "mars", note: "" });
  assert.deepEqual(bad.errors, { height_m: "Must be at most 5 m.", climate: "Choose one of the listed options." });
  assert.equal(collectSubmission(fields, { height_m: "2,5" }).errors["height_m"], "Enter a number, e.g. 2.7.");
  const open = effectiveFields(LAYER1, undefined);
  assert.equal(collectSubmission(open, { hours: "7.5" }).errors["hours"], "Enter a whole number.");
});

test("limits from other fields narrow the bounds and explain themselves", () => {
  const fields = effectiveFields(LAYER1, undefined);
  const limits = { height_m: { max: 4, note: "the roof is low" }, hours: { error: "Starts and ends at the same hour." } };
  const result = collectSubmission(fields, { height_m: "4.5", hours: "7" }, limits);
  assert.equal(result.errors["height_m"], "Must be at most 4 m (the roof is low).");
  assert.equal(result.errors["hours"], "Starts and ends at the same hour.");
  assert.equal(rangeText(fields[0]!, limits.height_m), "2 to 4 m");
});

test("the last run's values come back where they are still allowed, and are reported", () => {
  const fields = effectiveFields(LAYER1, { setback: { enabled: false, default: true }, height_m: { max: 5 } });
  const { values, restored } = initialValues(fields, { height_m: 7, hours: 3, climate: "tampa", setback: false });
  assert.deepEqual(values, { height_m: 2.7, hours: 3, climate: "tampa", setback: true, note: "" });
  assert.deepEqual(restored, ["hours", "climate"]);
});

test("a choice the bundle cannot offer is left out unless it is the default", () => {
  const hidden = { hiddenChoices: { climate: ["custom"] } };
  assert.deepEqual(
    effectiveFields(LAYER1, undefined, hidden)[2]?.choices.map((c) => c.value),
    ["chicago", "tampa"],
  );
  assert.deepEqual(
    effectiveFields(LAYER1, { climate: { enabled: false, default: "custom" } }, hidden)[2]?.choices.map((c) => c.value),
    ["chicago", "tampa", "custom"],
  );
});

test("an open schema takes one JSON object", () => {
  assert.deepEqual(parseOpenParameters(' {"a": 1} '), { parameters: { a: 1 } });
  assert.deepEqual(parseOpenParameters(""), { parameters: {} });
  assert.match(parseOpenParameters("[1]").error ?? "", /one JSON object/);
  assert.match(parseOpenParameters("{a").error ?? "", /JSON object/);
});

// ------------------------------------------------------------------ views

test("every status reads as the platform says; an unknown one gets a fallback", () => {
  assert.equal(statusText("pending").title, "Preparing your run");
  assert.equal(statusText("dispatched").title, "Starting the simulation environment");
  assert.equal(statusText("running").kind, "active");
  assert.equal(statusText("success").kind, "success");
  for (const s of ["failed_simulation", "failed_runtime", "cancelled", "timed_out"]) assert.equal(statusText(s).kind, "failure");
  assert.equal(new Set(["failed_simulation", "failed_runtime", "cancelled", "timed_out"].map((s) => statusText(s).title)).size, 4);
  assert.match(statusPanelHtml("quarantined", escapeHtml), /Unknown run status: quarantined/);
  assert.match(statusPanelHtml("success", escapeHtml, 2.345), /\(2\.3 s\)/);
});

test("messages are escaped and debug ones left out", () => {
  const html = messagesHtml(
    [
      { level: "error", code: "X.Y", text: "<b>bad</b>" },
      { level: "debug", code: "", text: "noise" },
    ],
    escapeHtml,
  );
  assert.match(html, /&lt;b&gt;bad&lt;\/b&gt;/);
  assert.doesNotMatch(html, /noise|<b>/);
});

test("the outcome the host reports is shown; a malformed one is not", () => {
  assert.deepEqual(outcomeOf({ _lms_outcome: { passed: true, score: 0.62, completion: 1 } }), {
    passed: true,
    score: 0.62,
    completion: 1,
  });
  assert.equal(outcomeOf({ _lms_outcome: { passed: "yes" } }), null);
  assert.equal(outcomeOf({}), null);
  assert.match(outcomeHtml({ passed: true, score: 0.62, completion: 1 }, escapeHtml), /Goal reached.*62 %/);
  assert.match(outcomeHtml({ passed: false, score: null, completion: null }, escapeHtml), /Goal not reached yet/);
});

test("declared outputs: cards, alerts, a table; Layer 2 hides and re-hints", () => {
  const views = effectiveOutputs(
    [
      { name: "heat", type: "number", label: "Heating", unit: "kWh", display_hint: "value-card" },
      { name: "eui", type: "number", label: "EUI", unit: "kWh/m2" },
      { name: "warn", type: "number", label: "Warnings", display_hint: "alert" },
      { name: "secret", type: "string", label: "Secret" },
    ],
    { secret: { visible: false }, eui: { display_hint: "value-card" } },
  );
  const html = resultsHtml({ heat: 5161.98, eui: 233.9, warn: 2, secret: "x", extra: "<i>" }, views, escapeHtml);
  assert.match(html, /data-output="heat".*5,162 <small class="plms-unit">kWh<\/small>/);
  assert.match(html, /data-output="eui".*234 <small class="plms-unit">kWh\/m²<\/small>/);
  assert.match(html, /class="plms-alert" data-output="warn"/);
  assert.doesNotMatch(html, /Secret|<i>/);
  assert.doesNotMatch(resultsHtml({ warn: 0 }, views, escapeHtml), /plms-alert/);
});

test("units read as a learner reads them", () => {
  assert.equal(prettyUnit("W/(m2.K)"), "W/(m²·K)");
  assert.equal(prettyUnit("degC"), "°C");
  assert.equal(prettyUnit("1"), "");
  assert.equal(withUnit(12.345, "m2"), "12.3 m²");
  assert.equal(withUnit(90, "deg"), "90°");
});
