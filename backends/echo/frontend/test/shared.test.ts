// The shared mount-contract logic (frontend/shared): every RunStatus, the unknown-status
// fallback, number coercion and the polling follow.
import assert from "node:assert/strict";
import { test } from "node:test";

import { coerceValues, formHtml } from "../../../../frontend/shared/form";
import { pollingFollow, type RunSnapshot } from "../../../../frontend/shared/mount";
import { statusHtml, statusView } from "../../../../frontend/shared/status";

const snap = (status: string, extra: Partial<RunSnapshot> = {}): RunSnapshot => ({
  run_id: "r",
  status,
  progress: null,
  messages: [],
  ...extra,
});

test("active statuses show progress and the step", () => {
  for (const status of ["pending", "dispatched", "running"]) {
    const html = statusHtml(statusView(snap(status, { progress: { progress_pct: 42, step: "day 120", elapsed_seconds: 1 } })));
    assert.match(html, /data-kind="active"/, status);
    assert.match(html, /<progress aria-label="Run progress" max="100" value="42">/);
    assert.match(html, /42% – day 120/);
  }
  assert.match(statusHtml(statusView(snap("pending"))), /waiting for progress/);
});

test("every failure status shows its own title and the run's messages", () => {
  const titles: Record<string, string> = {
    failed_simulation: "Simulation failed",
    failed_runtime: "Run failed",
    cancelled: "Cancelled",
    timed_out: "Timed out",
  };
  for (const [status, title] of Object.entries(titles)) {
    const view = statusView(snap(status, { messages: [{ level: "error", code: "X.Y", text: `why ${status}` }] }));
    const html = statusHtml(view);
    assert.equal(view.kind, "failure");
    assert.match(html, new RegExp(title));
    assert.match(html, new RegExp(`<strong>Error</strong> <code>X.Y</code>: <span class="plms-msg-text">why ${status}`));
  }
  assert.match(statusHtml(statusView(snap("cancelled"))), /The run reported no messages/);
});

test("an unknown status renders an explicit fallback, never an empty panel", () => {
  const html = statusHtml(statusView(snap("quarantined", { messages: [{ level: "info", text: "held" }] })));
  assert.match(html, /data-kind="unknown"/);
  assert.match(html, /Unknown status: quarantined/);
  assert.match(html, /held/);
  assert.match(statusHtml(statusView(snap(""))), /Unknown status: \(empty\)/);
});

test("the envelope's status wins over the snapshot's", () => {
  const view = statusView(snap("running"), { schema_version: "purelms.output.v1", run_id: "u", status: "timed_out", metrics: null });
  assert.equal(view.status, "timed_out");
});

test("numbers are coerced and range-checked; booleans and choices too", () => {
  const specs = [
    { name: "a", type: "number", min: 0, max: 5, unit: "m" },
    { name: "n", type: "integer", min: 0, max: 23 },
    { name: "b", type: "boolean" },
    { name: "c", type: "choice", choices: ["x", "y"] },
  ];
  assert.deepEqual(coerceValues(specs, { a: "2.5", n: "7", b: true, c: "y" }), {
    values: { a: 2.5, n: 7, b: true, c: "y" },
    errors: {},
  });
  const bad = coerceValues(specs, { a: "9", n: "1.5", b: false, c: "z" });
  assert.deepEqual(Object.keys(bad.errors).sort(), ["a", "c", "n"]);
  assert.equal(bad.errors["a"], "a must be at most 5 m");
});

test("v1 enum parameters show their labels and submit their values", () => {
  const specs = [
    {
      name: "z",
      type: "enum",
      label: "Zone",
      choices: [
        { value: "4A", label: "Mixed-humid" },
        { value: "5A", label: "Cool <humid>" },
      ],
    },
  ];
  const html = formHtml(specs, { z: "5A" });
  assert.match(html, /<option value="5A" selected>Cool &lt;humid&gt;<\/option>/);
  assert.match(html, /<option value="4A">Mixed-humid<\/option>/);
  assert.deepEqual(coerceValues(specs, { z: "4A" }), { values: { z: "4A" }, errors: {} });
  assert.equal(coerceValues(specs, { z: "6A" }).errors["z"], "Zone: choose one of the listed options");
});

test("pollingFollow reports changes until a terminal status", async () => {
  const sequence = ["pending", "running", "running", "success", "success"];
  let calls = 0;
  const seen: string[] = [];
  const follow = pollingFollow(async () => snap(sequence[Math.min(calls++, sequence.length - 1)] ?? "success"), 1);
  await new Promise<void>((resolve) => {
    follow("r", (s) => {
      seen.push(s.status);
      if (s.status === "success") resolve();
    });
  });
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(seen, ["pending", "running", "success"]);
  assert.equal(calls, 4);
});
