// The echo bundle: its exports, its compiled manifest (an open schema) and its result view.
import assert from "node:assert/strict";
import { test } from "node:test";

import { escapeHtml } from "../../../../frontend/shared/html";
import { TASK } from "../../../../frontend/shared/layer1";
import { effectiveOutputs } from "../../../../frontend/shared/results";
import defaultMount, { mount, mountContract, renderEchoed } from "../src/index";

test("the bundle exports mount (named and default) and the v1 mount contract", () => {
  assert.equal(typeof mount, "function");
  assert.equal(defaultMount, mount);
  assert.equal(mountContract, "purelms.interactive_mount.v1");
});

test("the manifest is compiled in: an open schema, its outputs, its bundle name", () => {
  assert.equal(TASK.slug, "echo");
  assert.deepEqual(TASK.parameters, []);
  assert.equal(TASK.bundle, "echo.js");
  assert.ok(TASK.outputs.some((o) => o.name === "echoed_backend_slug"));
});

test("the echoed parameters are shown as received, escaped", () => {
  const outputs = { echoed_backend_slug: "echo", echoed_parameters: { message: "<b>hi</b>", repeat: 2 } };
  const html = renderEchoed({ esc: escapeHtml, outputs, views: effectiveOutputs(TASK.outputs, undefined), uid: "t" });
  assert.match(html, /&quot;message&quot;: &quot;&lt;b&gt;hi&lt;\/b&gt;&quot;/);
  assert.match(html, /&quot;repeat&quot;: 2/);
  assert.doesNotMatch(html, /<b>hi<\/b>/);
});
