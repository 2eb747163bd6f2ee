// Each task bundle mounted by a minimal platform host (host.html: only the
// purelms.interactive_mount.v1 contract, every helpers.api answer scripted here) in headless
// chromium. Per bundle: the exports; the form from the compiled manifest with `config = {}`;
// every status (pending, dispatched without a percentage, running, each terminal one, an
// unknown one); the outcome; a refusal and transport failures; restoring a finished
// `last_run` and resuming one in flight; the host's `helpers.ui`; a task no longer
// available; Layer 2 (hidden, disabled, tightened parameters, a subset of choices, a hidden
// output). After every scenario: the bundle made no request of its own (every request is
// intercepted; only the host page and the bundle are served), changed nothing outside its
// element, and raised no page error.
//
//   node contract.mjs <repository root> <slug> [<slug> ...]
//
// Prints "ok <slug>: <scenario>" per scenario, "FAIL ..." with the reason; exits 1 on any
// failure. Bundles must be built first (npm run build in backends/<slug>/frontend).
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { expect, launch } from "./chromium.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const ORIGIN = "http://platform.test";
const root = resolve(process.argv[2] ?? join(HERE, "../../.."));
const slugs = process.argv.slice(3);
if (!slugs.length) throw new Error("usage: node contract.mjs <repository root> <slug> [<slug> ...]");

const SEND_FAILED = "Your run could not be sent: the simulation service did not answer. Check your connection and try again.";
const LEAKS = /TypeError|ECONN|10\.0\.0\.7|Failed to fetch|NetworkError|at http/;
const TERMINAL = ["success", "failed_simulation", "failed_runtime", "cancelled", "timed_out"];

function reference(n, status = "pending") {
  return {
    id: `run-${n}`,
    status,
    status_url: `/api/runs/run-${n}`,
    poll_interval_seconds: 0.25,
    websocket_url: null,
    deadline_at: "2031-01-01T00:00:00Z",
  };
}

function snapshot(n, status, extra = {}) {
  const terminal = TERMINAL.includes(status);
  return {
    id: `run-${n}`,
    status,
    progress_pct: null,
    progress_step: "",
    is_terminal: terminal,
    completed_at: terminal ? "2031-01-01T00:00:01Z" : null,
    runtime_seconds: terminal ? 1.2 : null,
    outputs: {},
    messages: [],
    ...extra,
  };
}

/** A value for every declared output; strings try to inject markup. */
function sampleOutputs(task) {
  const outputs = {};
  (task.outputs ?? []).forEach((o, i) => {
    outputs[o.name] =
      o.type === "number" ? 1234.5 + i : o.type === "boolean" ? true : o.type === "enum" ? "a" : `<img src=x onerror="window.__xss=1">${o.name}`;
  });
  return outputs;
}

/** Another allowed value of a parameter than its default (for restore and Layer 2). */
function otherValue(p, exclude = []) {
  if (p.type === "boolean") return !p.default;
  if (p.type === "enum") return p.choices.map((c) => c.value).find((v) => v !== p.default && !exclude.includes(v));
  if (p.type === "number") {
    const step = p.step ?? 1;
    const candidate = Number(((p.default ?? p.min ?? 0) + step).toFixed(6));
    return p.max != null && candidate > p.max ? Number(((p.default ?? 0) - step).toFixed(6)) : candidate;
  }
  return `${p.default ?? ""}x`;
}

const SCENARIOS = [];
const scenario = (name, run, { needsParameters = false } = {}) => SCENARIOS.push({ name, run, needsParameters });

scenario("exports mount (named and default) and mountContract; the form comes from the compiled manifest with config = {}", async (t) => {
  await t.mount({});
  const exported = await t.page.evaluate(() => window.host.exports);
  expect(exported.mountContract === "purelms.interactive_mount.v1", `mountContract ${exported.mountContract}`);
  expect(exported.namedIsFunction && exported.defaultIsMount, "mount is not exported both named and as the default");
  if (!t.task.parameters.length) {
    expect((await t.count("textarea[name=parameters]")) === 1, "an open schema has one JSON field");
  }
  for (const p of t.task.parameters) {
    expect((await t.count(`[name="${p.name}"]`)) >= 1, `no control named ${p.name}`);
    if (p.type === "number") {
      const [min, max] = await t.page.$eval(`#task input[type=number][name="${p.name}"]`, (e) => [Number(e.min), Number(e.max)]);
      expect(p.min == null || min >= p.min, `${p.name}: min ${min} below the manifest's ${p.min}`);
      expect(p.max == null || max <= p.max, `${p.name}: max ${max} above the manifest's ${p.max}`);
    }
    if (p.type === "enum") {
      const options = await t.page.$$eval(`#task select[name="${p.name}"] option`, (os) => os.map((o) => [o.value, o.textContent]));
      for (const [value, label] of options) {
        const choice = p.choices.find((c) => String(c.value) === value);
        expect(choice && choice.label === label, `${p.name}: option ${value} "${label}" is not the manifest's choice`);
      }
    }
  }
  expect(await t.page.isVisible("#task button.plms-reset"), "no visible reset to defaults");
});

scenario("submit, then pending, dispatched (no percentage), running, success with results and the outcome; own progress bar", async (t) => {
  await t.mount({});
  const sent = await t.run();
  for (const p of t.task.parameters) {
    if (p.default != null) expect(sent[p.name] === p.default, `${p.name} submitted ${JSON.stringify(sent[p.name])}, default ${p.default}`);
  }
  if (!t.task.parameters.length) expect(JSON.stringify(sent) === "{}", `an empty open schema sent ${JSON.stringify(sent)}`);
  await t.page.evaluate((ref) => window.host.resolveSubmit({ attempt: { id: 1 }, run: ref, is_complete: false }), reference(1));
  await t.waitState("active", "pending");
  const poll = await t.page.evaluate(() => window.host.calls.poll[0]);
  expect(poll.runId === "run-1" && poll.intervalSeconds === 0.25 && poll.deadlineAt === "2031-01-01T00:00:00Z" && poll.hasSignal, `pollStatus called with ${JSON.stringify(poll)}`);
  await t.push(snapshot(1, "dispatched", { progress_pct: 30 }));
  await t.waitState("active", "dispatched");
  const dispatched = await t.progress();
  expect(dispatched.mode === "indeterminate" && !dispatched.hasValue, `dispatched shows ${JSON.stringify(dispatched)}`);
  expect(/Starting the simulation environment/.test(await t.text()), "dispatched is not told as the environment starting");
  expect(!/30 %/.test(await t.text()), "dispatched shows a percentage");
  await t.push(snapshot(1, "running", { progress_pct: 40, progress_step: "Simulating 04/11" }));
  await t.waitState("active", "running");
  const running = await t.progress();
  if (t.task.backend?.progress_reporting === "percentage") {
    expect(running.mode === "determinate" && running.value === 40 && /40 % · Simulating 04\/11/.test(running.text), `running shows ${JSON.stringify(running)}`);
  } else {
    expect(running.mode === "indeterminate" && !/40/.test(running.text), `progress_reporting none shows ${JSON.stringify(running)}`);
  }
  const outputs = { ...t.outputs, _lms_outcome: { passed: true, score: 0.625, completion: 1 } };
  await t.push(snapshot(1, "success", { outputs, messages: [{ level: "warning", code: "W.X", text: "<b>careful</b>" }] }));
  await t.waitState("terminal", "success");
  for (const o of t.task.outputs ?? []) expect((await t.count(`[data-output="${o.name}"]`)) >= 1, `output ${o.name} not shown`);
  const outcome = await t.page.textContent("#task .plms-outcome");
  expect(/Goal reached/.test(outcome) && /63 %/.test(outcome), `outcome shows "${outcome}"`);
  expect((await t.page.textContent("#task .plms-msg-text")) === "<b>careful</b>", "the message is not shown as text");
  expect((await t.progress()).mode === "complete", "the progress bar is not complete");
  expect(!(await t.page.isDisabled("#task button.plms-submit")), "the run button stays disabled");
});

scenario("failed_simulation, failed_runtime, cancelled, timed_out and an unknown status each read as themselves", async (t) => {
  await t.mount({});
  const titles = new Set();
  let n = 1;
  for (const status of ["failed_simulation", "failed_runtime", "cancelled", "timed_out"]) {
    n += 1;
    await t.run();
    await t.page.evaluate((ref) => window.host.resolveSubmit({ attempt: null, run: ref, is_complete: false }), reference(n));
    await t.push(snapshot(n, status, { messages: [{ level: "error", code: "X.FAIL", text: `why ${status}` }] }));
    await t.waitState("terminal", status);
    titles.add(await t.page.textContent("#task .plms-run h3"));
    expect((await t.text()).includes(`why ${status}`), `${status}: its message is not shown`);
    expect((await t.count(".plms-card, .plms-outcome")) === 0, `${status}: shows results`);
    expect((await t.progress()).mode === "error", `${status}: the progress bar is not in error`);
  }
  expect(titles.size === 4, `the four failures share titles: ${[...titles].join(" | ")}`);
  await t.run();
  await t.page.evaluate((ref) => window.host.resolveSubmit({ attempt: null, run: ref, is_complete: false }), reference(9));
  await t.push(snapshot(9, "quarantined"));
  await t.waitState("active", "quarantined");
  expect(/Unknown run status: quarantined/.test(await t.text()), "an unknown status has no fallback");
  await t.push(snapshot(9, "success", { outputs: t.outputs }));
  await t.waitState("terminal", "success");
});

scenario("a refused submission shows its detail at the field; transport failures read in plain words", async (t) => {
  await t.mount({});
  const field = t.task.parameters[0]?.name ?? "parameters";
  await t.run();
  await t.page.evaluate((detail) => window.host.rejectSubmit({ status: 400, code: "invalid_parameters", detail }), `parameters.${field}: 9 is above the maximum 8`);
  await t.waitState("refused", "");
  expect((await t.text()).includes("9 is above the maximum 8"), "the refusal's detail is not shown");
  if (t.task.parameters.length) {
    const error = await t.page.textContent(`#task [data-error-for="${field}"]`);
    expect(error === "9 is above the maximum 8", `the field's error reads "${error}"`);
  }
  expect(!(await t.page.isDisabled("#task button.plms-submit")), "the run button stays disabled after a refusal");
  await t.run();
  await t.page.evaluate(() => window.host.failSubmit());
  await t.waitState("transport", "");
  const sent = await t.page.textContent("#task [data-kind=transport] .plms-detail");
  expect(sent === SEND_FAILED, `a failed send reads "${sent}"`);
  await t.run();
  await t.page.evaluate((ref) => window.host.resolveSubmit({ attempt: null, run: ref, is_complete: false }), reference(3));
  await t.page.evaluate(() => window.host.failPoll("run-3"));
  await t.waitState("transport", "");
  const lost = await t.text();
  expect(/Contact with the simulation service was lost/.test(lost) && !LEAKS.test(lost), `a lost poll reads "${lost}"`);
});

scenario("a finished last_run is restored without a request; reset to defaults brings the defaults back", async (t) => {
  const p = t.task.parameters.find((q) => q.default != null && otherValue(q, ["custom"]) !== undefined);
  const parameters = p ? { [p.name]: otherValue(p, ["custom"]) } : { message: "hello again" };
  await t.mount({ last_run: { parameters, run: reference(7, "success"), outputs: t.outputs, messages: [] } });
  await t.waitState("terminal", "success");
  const calls = await t.page.evaluate(() => window.host.calls);
  expect(calls.submit.length === 0 && calls.poll.length === 0, `restoring called the api: ${JSON.stringify(calls)}`);
  expect(await t.page.isVisible("#task .plms-restored-run"), "the restored result is not marked as the last run's");
  expect(await t.page.isVisible("#task .plms-restored"), "no note that the form shows the last run's parameters");
  const selector = p ? (p.type === "number" ? `input[type=number][name="${p.name}"]` : `[name="${p.name}"]`) : "textarea[name=parameters]";
  const read = () => t.page.$eval(`#task ${selector}`, (e) => (e.type === "checkbox" ? e.checked : e.value));
  const shown = await read();
  expect(p ? String(shown) === String(parameters[p.name]) : shown.includes("hello again"), `the form shows ${shown}`);
  await t.page.click("#task button.plms-reset");
  const after = await read();
  expect(p ? String(after) === String(p.default) : after === "{}", `after reset the form shows ${after}`);
  expect(!(await t.page.isVisible("#task .plms-restored")), "the last-run note stays after reset");
});

scenario("a last_run in flight is resumed with its poll interval and followed to the end", async (t) => {
  await t.mount({ last_run: { parameters: {}, run: reference(5, "running") } });
  await t.waitState("active", "running");
  const poll = await t.page.evaluate(() => window.host.calls.poll[0]);
  expect(poll?.runId === "run-5" && poll.intervalSeconds === 0.25, `resume polled ${JSON.stringify(poll)}`);
  await t.push(snapshot(5, "success", { outputs: t.outputs }));
  await t.waitState("terminal", "success");
});

scenario("helpers.ui: the host's progress bar (bound to progress_reporting) and its submission error view", async (t) => {
  const reporting = t.task.backend?.progress_reporting ?? "none";
  await t.mount({}, { withUi: true, meta: { progressReporting: reporting } });
  await t.run();
  await t.page.evaluate((ref) => window.host.resolveSubmit({ attempt: null, run: ref, is_complete: false }), reference(1));
  await t.push(snapshot(1, "dispatched"));
  await t.waitState("active", "dispatched");
  let log = await t.page.evaluate(() => window.host.uiLog);
  expect(log.includes("create") && log.includes("indeterminate:Starting the simulation environment…"), `ui calls ${log}`);
  expect(!log.some((entry) => /^determinate|^update:\d/.test(entry)), `a percentage before running: ${log}`);
  expect((await t.count("[data-host-bar]")) === 1 && (await t.count(".plms-progress")) === 0, "the host's bar is not the one shown");
  await t.push(snapshot(1, "running", { progress_pct: 40, progress_step: "step" }));
  await t.waitState("active", "running");
  await t.push(snapshot(1, "success", { outputs: t.outputs }));
  await t.waitState("terminal", "success");
  log = await t.page.evaluate(() => window.host.uiLog);
  const updates = log.filter((entry) => entry.startsWith("update"));
  if (reporting === "percentage") expect(updates.includes("update:40:step"), `no determinate update: ${log}`);
  else expect(updates.every((entry) => entry === "update::step"), `a percentage with progress_reporting none: ${log}`);
  expect(log.includes("complete:Finished"), `no complete: ${log}`);
  await t.run();
  await t.page.evaluate(() => window.host.rejectSubmit({ status: 400, code: "invalid_parameters", detail: "no" }));
  await t.waitState("refused", "");
  log = await t.page.evaluate(() => window.host.uiLog);
  expect(log.includes("renderSubmissionError:400:invalid_parameters"), `renderSubmissionError not used: ${log}`);
  expect((await t.count("[data-host-error]")) === 1, "the host's error view is not shown");
});

scenario("meta.backendAvailable === false shows a task no longer available", async (t) => {
  await t.mount({}, { meta: { backendAvailable: false } });
  const notice = await t.page.textContent("#task [data-plms-unavailable]");
  expect(/no longer available/.test(notice ?? ""), `no unavailable notice: ${notice}`);
  expect(await t.page.isDisabled("#task button.plms-submit"), "runs can still be started");
});

scenario("Layer 2: hidden, disabled and tightened parameters, a subset of relabelled choices, a hidden output", async (t) => {
  const params = t.task.parameters;
  const E = params.find((p) => p.type === "enum" && p.choices.length >= 3);
  const N = params.find((p) => p.type === "number" && p.min != null && p.max != null && p !== E);
  const [H, D] = params.filter((p) => p !== E && p !== N && p.default != null);
  expect(E && N && H && D, "this bundle lacks an enum with 3 choices, a bounded number and two more parameters");
  const step = N.step ?? 1;
  const snapTo = (x) => Number((Math.round((x - N.min) / step) * step + N.min).toFixed(6));
  const low = snapTo(N.min + (N.max - N.min) / 4);
  const high = snapTo(N.max - (N.max - N.min) / 4);
  const middle = snapTo((low + high) / 2);
  const [c1, c2] = E.choices.filter((c) => c.value !== "custom");
  const hDefault = otherValue(H, ["custom"]);
  const O = t.task.outputs?.[0];
  const config = {
    parameters: {
      [H.name]: { visible: false, default: hDefault },
      [D.name]: { enabled: false, default: D.default },
      [N.name]: { min: low, max: high, default: middle },
      [E.name]: { choices: [c2.value, { value: c1.value, label: "Relabelled <i>choice</i>" }], default: c2.value },
    },
    outputs: O ? { [O.name]: { visible: false } } : {},
  };
  await t.mount(config);
  expect((await t.count(`[name="${H.name}"]`)) === 0, `hidden ${H.name} is rendered`);
  const disabled = await t.page.$$eval(`#task [name="${D.name}"]`, (es) => es.map((e) => e.disabled));
  expect(disabled.length && disabled.every(Boolean), `${D.name} is not disabled`);
  expect(/Set by your course/.test(await t.page.textContent(`#task [data-field="${D.name}"]`)), `${D.name} does not say the course set it`);
  const number = await t.page.$eval(`#task input[type=number][name="${N.name}"]`, (e) => [Number(e.min), Number(e.max), Number(e.value)]);
  expect(number[0] === low && number[1] <= high && number[2] === middle, `${N.name} shows min/max/value ${number}, expected ${low}/${high}/${middle}`);
  const options = await t.page.$$eval(`#task select[name="${E.name}"] option`, (os) => os.map((o) => [o.value, o.textContent, o.selected]));
  expect(
    JSON.stringify(options) === JSON.stringify([[String(c2.value), c2.label, true], [String(c1.value), "Relabelled <i>choice</i>", false]]),
    `${E.name} offers ${JSON.stringify(options)}`,
  );
  const input = `#task input[type=number][name="${N.name}"]`;
  await t.page.fill(input, String(high + step));
  await t.page.click("#task button.plms-submit");
  const error = await t.page.textContent(`#task [data-error-for="${N.name}"]`);
  expect(/^Must be at most/.test(error ?? ""), `above the block's max: "${error}"`);
  expect((await t.page.evaluate(() => window.host.calls.submit.length)) === 0, "an out-of-range value was submitted");
  await t.page.fill(input, String(middle));
  const sent = await t.run();
  expect(sent[H.name] === hDefault, `hidden ${H.name} sent ${JSON.stringify(sent[H.name])}, its default is ${hDefault}`);
  expect(sent[D.name] === D.default, `disabled ${D.name} sent ${sent[D.name]}`);
  expect(sent[N.name] === middle && sent[E.name] === c2.value, `sent ${N.name}=${sent[N.name]} ${E.name}=${sent[E.name]}`);
  await t.page.evaluate((ref) => window.host.resolveSubmit({ attempt: null, run: ref, is_complete: false }), reference(1));
  await t.push(snapshot(1, "success", { outputs: t.outputs }));
  await t.waitState("terminal", "success");
  if (O) expect((await t.count(`[data-output="${O.name}"]`)) === 0, `hidden output ${O.name} is shown`);
}, { needsParameters: true });

// ------------------------------------------------------------------------------ runner

const browser = await launch();
let failures = 0;
try {
  for (const slug of slugs) {
    const task = parse(readFileSync(join(root, "backends", slug, "interactive_task.yaml"), "utf8"));
    task.parameters ??= [];
    const bundleFile = join(root, "backends", slug, "frontend", "dist", task.frontend.bundle);
    expect(existsSync(bundleFile), `${bundleFile} is not built: cd backends/${slug}/frontend && npm ci && npm run build`);
    const bundleUrl = `/static/backends/${slug}/${task.version}/${task.frontend.bundle}`;
    for (const { name, run, needsParameters } of SCENARIOS) {
      if (needsParameters && !task.parameters.length) {
        console.log(`n/a ${slug}: ${name} (an open schema, parameters: [], takes no Layer 2 parameter settings)`);
        continue;
      }
      const page = await browser.context.newPage();
      const unexpected = [];
      const errors = [];
      page.on("pageerror", (error) => errors.push(String(error)));
      await page.route("**/*", async (route) => {
        const url = new URL(route.request().url());
        if (url.origin === ORIGIN && url.pathname === "/host.html") {
          await route.fulfill({ status: 200, contentType: "text/html", body: readFileSync(join(HERE, "host.html")) });
        } else if (url.origin === ORIGIN && url.pathname === bundleUrl) {
          await route.fulfill({ status: 200, contentType: "text/javascript", body: readFileSync(bundleFile) });
        } else if (url.origin === ORIGIN && url.pathname === "/favicon.ico") {
          await route.fulfill({ status: 404, body: "" }); // asked by the browser, not the page
        } else {
          unexpected.push(url.href);
          await route.abort();
        }
      });
      await page.goto(`${ORIGIN}/host.html`);
      await page.waitForFunction(() => window.hostReady === true);
      const t = {
        page,
        task,
        outputs: sampleOutputs(task),
        async mount(config, { withUi = false, meta = {} } = {}) {
          const fullMeta = { bundle: task.frontend.bundle, unitBlockId: 7, creditCost: 1, ...meta };
          await page.evaluate((args) => window.host.mount(args), { bundleUrl, config, meta: fullMeta, withUi });
        },
        count: (selector) => page.locator(`#task ${selector}`).count(),
        text: () => page.textContent("#task .plms-run"),
        async run() {
          const before = await page.evaluate(() => window.host.calls.submit.length);
          await page.click("#task button.plms-submit");
          await page.waitForFunction((n) => window.host.calls.submit.length > n, before, { timeout: 5000 });
          return page.evaluate((n) => window.host.calls.submit[n], before);
        },
        push: (s) => page.evaluate(([id, snap]) => window.host.push(id, snap), [s.id, s]),
        waitState: (phase, status) =>
          page.waitForSelector(`#task section.plms-run[data-plms-state="${phase}"][data-status="${status}"]`, { timeout: 5000 }),
        progress: () =>
          page.$eval("#task .plms-progress", (e) => {
            const bar = e.querySelector("progress");
            return { mode: e.dataset.mode, hasValue: bar.hasAttribute("value"), value: bar.hasAttribute("value") ? bar.value : null, text: e.textContent };
          }),
      };
      try {
        await run(t);
        const clean = await page.evaluate(() => ({
          outsideSame: window.host.outside() === window.host.outsideBefore,
          mutations: window.host.outsideMutations,
          xss: window.__xss,
          images: document.querySelectorAll("#task img").length,
        }));
        expect(unexpected.length === 0, `the bundle made requests: ${unexpected.join(", ")}`);
        expect(clean.outsideSame && clean.mutations.length === 0, `DOM outside the element changed: ${clean.mutations.join(", ")}`);
        expect(clean.xss === undefined && clean.images === 0, "a string was inserted as markup");
        expect(errors.length === 0, `page errors: ${errors.join("; ")}`);
        console.log(`ok ${slug}: ${name}`);
      } catch (error) {
        failures += 1;
        console.log(`FAIL ${slug}: ${name}: ${error.message.split("\n")[0]}`);
      } finally {
        await page.close();
      }
    }
  }
} finally {
  await browser.close();
}
process.exit(failures ? 1 : 0);
