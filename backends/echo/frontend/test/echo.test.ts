import assert from "node:assert/strict";
import { test } from "node:test";

import { coerceValues, formHtml } from "../../../../frontend/shared/form";
import type { MountConfig, RunSnapshot, SimulationOutputEnvelope } from "../../../../frontend/shared/mount";
import { runPanelHtml } from "../../../../frontend/shared/task";
import { renderEchoOutputs } from "../src/index";

const config: MountConfig = {
  slug: "echo",
  name: "Echo",
  version: "0.1.0",
  parameters: [
    { name: "message", type: "string", label: "Message", default: "hi" },
    { name: "repeat", type: "integer", label: "Repeat", min: 1, max: 10, step: 1, default: 1 },
    { name: "fail_with", type: "choice", choices: ["nothing", "simulation", "runtime"], default: "nothing" },
  ],
  outputs: [],
  lastRun: null,
};

const snapshot = (status: string): RunSnapshot => ({ run_id: "r1", status, progress: null, messages: [] });

function envelope(status: SimulationOutputEnvelope["status"], extra: Partial<SimulationOutputEnvelope> = {}): SimulationOutputEnvelope {
  return { schema_version: "purelms.output.v1", run_id: "u", status, metrics: null, ...extra };
}

test("the form has one control per manifest parameter", () => {
  const html = formHtml(config.parameters, { message: "hi", repeat: 1, fail_with: "nothing" });
  assert.match(html, /name="message"/);
  assert.match(html, /type="number" id="plms-p-repeat" name="repeat" value="1" min="1" max="10"/);
  assert.match(html, /<option value="nothing" selected>/);
});

test("the echoed parameters and slug are shown, escaped", () => {
  const html = runPanelHtml(
    snapshot("success"),
    envelope("success", {
      outputs: { echoed_backend_slug: "echo", echoed_parameters: { message: "<b>hi</b>", repeat: 2 } },
    }),
    config,
    { renderOutputs: renderEchoOutputs },
  );
  assert.match(html, /data-status="success"/);
  assert.match(html, /&lt;b&gt;hi&lt;\/b&gt;/);
  assert.match(html, /&quot;repeat&quot;: 2|"repeat": 2/);
  assert.match(html, /<dd class="plms-echoed-slug">echo<\/dd>/);
  assert.doesNotMatch(html, /<b>hi<\/b>/);
});

test("a forced simulation failure shows the run's message", () => {
  const html = runPanelHtml(
    snapshot("failed_simulation"),
    envelope("failed_simulation", { messages: [{ level: "error", code: "ECHO.FORCED", text: "forced failure" }] }),
    config,
    { renderOutputs: renderEchoOutputs },
  );
  assert.match(html, /Simulation failed/);
  assert.match(html, /ECHO\.FORCED/);
  assert.match(html, /forced failure/);
  assert.doesNotMatch(html, /Parameters received/);
});

test("out-of-range integers are refused before submitting", () => {
  const { errors } = coerceValues(config.parameters, { message: "x", repeat: "11", fail_with: "nothing" });
  assert.equal(errors["repeat"], "Repeat must be at most 10");
});
