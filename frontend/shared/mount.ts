// `createMount(options)`: the `mount(element, config, helpers)` of purelms.interactive_mount.v1
// for a bundle, from its compiled Layer 1 metadata and what it adds (field groups, limits
// between fields, result views). Everything here happens inside `element`: the bundle builds
// its DOM there (styles included, ids prefixed per mount), listens there, and asks the host
// for nothing but `helpers.api`. Strings it did not make go through `helpers.escape` (views)
// or `textContent` (live updates).
import {
  type Mount,
  type MountConfig,
  type MountHelpers,
  type ProgressBar,
  type RunMessage,
  isTerminalStatus,
  outcomeOf,
} from "./contract";
import {
  type Field,
  type FormOptions,
  type LimitsByName,
  type Values,
  boundsOf,
  collectSubmission,
  defaultValues,
  effectiveFields,
  formHtml,
  initialValues,
  isLocked,
  openSchemaHtml,
  parseOpenParameters,
  parseRaw,
  rangeText,
} from "./form";
import { type Escape, escapeHtml } from "./html";
import type { TaskMetadata } from "./layer1";
import { type RunState, RunSession, fieldErrorsOf, progressView } from "./lifecycle";
import { createOwnProgressBar } from "./progress";
import { type Formats, type Notes, type OutputView, effectiveOutputs, resultsHtml } from "./results";
import { messagesHtml, outcomeHtml, statusPanelHtml, statusText } from "./status";
import { STYLES } from "./styles";

export { MOUNT_CONTRACT } from "./contract";

/** What a bundle's result view gets for a finished, successful run. */
export interface ResultContext {
  esc: Escape;
  outputs: Record<string, unknown>;
  /** The declared outputs this block shows (Layer 1 with Layer 2's visible/display_hint). */
  views: OutputView[];
  /** Unique per mount: prefix every id the view makes with it. */
  uid: string;
}

export interface BundleOptions {
  /** Layer 1, compiled in from the manifest (`TASK` of ./layer1). */
  task: TaskMetadata;
  form?: FormOptions;
  /** Limits that follow other fields (see ./form `Limits`); called on every change. */
  limits?: (values: Values, fields: Field[]) => LimitsByName;
  /** Notes under output cards and rows. */
  notes?: Notes;
  /** How output values read (default: numbers formatted, strings as they are). */
  formats?: Formats;
  /** Learner-facing labels that replace the manifest's, per output. */
  outputLabels?: Record<string, string>;
  /** HTML after the declared outputs of a success (charts, breakdowns). */
  renderExtra?: (context: ResultContext) => string;
  /** A sentence above the form, for the learner. */
  intro?: string;
  submitLabel?: string;
}

let mounts = 0;

type Control = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

export function createMount(options: BundleOptions): Mount {
  return (element: HTMLElement, config: MountConfig, helpers: MountHelpers) => {
    const cfg: MountConfig = config && typeof config === "object" ? config : {};
    const esc: Escape = (text) =>
      typeof helpers?.escape === "function" ? helpers.escape(String(text)) : escapeHtml(String(text));
    const doc = element.ownerDocument;
    const uid = `plms${(mounts += 1)}`;
    const reporting = helpers?.meta?.progressReporting ?? options.task.progress_reporting;
    const available = helpers?.meta?.backendAvailable !== false;
    const open = options.task.parameters.length === 0;
    const fields = effectiveFields(options.task.parameters, cfg.parameters, options.form);
    const views = effectiveOutputs(options.task.outputs, cfg.outputs).map((v) => ({
      ...v,
      label: options.outputLabels?.[v.name] ?? v.label,
    }));
    const lastRun = cfg.last_run && typeof cfg.last_run === "object" ? cfg.last_run : undefined;
    const idOf = (name: string): string => `${uid}-p-${name}`;
    const computeLimits = (v: Values): LimitsByName => options.limits?.(v, fields) ?? {};

    const start = initialValues(fields, lastRun?.parameters);
    let values: Values = start.values;
    let limits = computeLimits(values);
    const openText =
      lastRun?.parameters && Object.keys(lastRun.parameters).length ? JSON.stringify(lastRun.parameters, null, 2) : "{}";
    const restoredAny = open ? openText !== "{}" : start.restored.length > 0;

    element.innerHTML =
      `<style>${STYLES}</style>` +
      `<div class="plms-task" data-plms-task="${esc(options.task.slug)}">` +
      (available
        ? ""
        : `<div class="plms-unavailable" role="status" data-plms-unavailable><strong>This task is no longer available.</strong> ` +
          `You can still read your last result, but new runs cannot be started.</div>`) +
      (options.intro ? `<p class="plms-intro">${esc(options.intro)}</p>` : "") +
      `<form class="plms-form" novalidate>` +
      `<p class="plms-restored" role="status"${restoredAny ? "" : " hidden"}>The form shows the parameters of your last run. ` +
      `“Reset to defaults” starts again from the task's own values.</p>` +
      (open ? openSchemaHtml(esc, idOf("parameters"), openText) : formHtml(fields, values, esc, idOf, options.form, limits)) +
      `<p class="plms-form-error" role="alert"></p>` +
      `<div class="plms-actions"><button type="submit" class="plms-submit">${esc(options.submitLabel ?? "Run simulation")}</button>` +
      `<button type="button" class="plms-reset">Reset to defaults</button></div>` +
      `</form>` +
      `<section class="plms-run" aria-live="polite" aria-label="Run status and results" data-plms-state="idle">` +
      `<div class="plms-progress-slot"></div><div class="plms-run-body"></div></section>` +
      `</div>`;

    const form = element.querySelector("form.plms-form") as HTMLFormElement;
    const runBox = element.querySelector("section.plms-run") as HTMLElement;
    const slot = element.querySelector(".plms-progress-slot") as HTMLElement;
    const body = element.querySelector(".plms-run-body") as HTMLElement;
    const submit = element.querySelector("button.plms-submit") as HTMLButtonElement;
    const reset = element.querySelector("button.plms-reset") as HTMLButtonElement;
    const formError = element.querySelector(".plms-form-error") as HTMLElement;
    const restoredNote = element.querySelector(".plms-restored") as HTMLElement;

    // Controls by parameter name: the value control and, for numbers, its slider.
    const valueControls = new Map<string, Control>();
    const sliders = new Map<string, HTMLInputElement>();
    for (const control of Array.from(form.querySelectorAll<Control>("input[name], select[name], textarea[name]"))) {
      if (control instanceof HTMLInputElement && control.dataset["role"] === "slider") sliders.set(control.name, control);
      else valueControls.set(control.name, control);
    }
    const errorSlots = new Map<string, HTMLElement>();
    for (const el of Array.from(form.querySelectorAll<HTMLElement>("[data-error-for]"))) {
      errorSlots.set(el.dataset["errorFor"] ?? "", el);
    }
    const slotsOf = (attribute: string): Map<string, HTMLElement> => {
      const found = new Map<string, HTMLElement>();
      for (const el of Array.from(form.querySelectorAll<HTMLElement>(`[${attribute}]`))) {
        found.set(el.getAttribute(attribute) ?? "", el);
      }
      return found;
    };
    const noteSlots = slotsOf("data-note-for");
    const rangeSlots = slotsOf("data-range-for");

    const rawValues = (): Record<string, string | boolean> => {
      const raw: Record<string, string | boolean> = {};
      for (const [name, control] of valueControls) {
        raw[name] = control instanceof HTMLInputElement && control.type === "checkbox" ? control.checked : control.value;
      }
      return raw;
    };
    const readValues = (): Values => {
      const next: Values = { ...values };
      const raw = rawValues();
      for (const field of fields) {
        if (isLocked(field) || raw[field.name] === undefined) continue;
        const parsed = parseRaw(field, raw[field.name] as string | boolean);
        if (parsed.value !== undefined) next[field.name] = parsed.value;
      }
      return next;
    };
    const setControl = (name: string, value: unknown): void => {
      const control = valueControls.get(name);
      if (!control) return;
      if (control instanceof HTMLInputElement && control.type === "checkbox") control.checked = value === true;
      else control.value = value === null || value === undefined ? "" : String(value);
      const slider = sliders.get(name);
      if (slider) slider.value = control.value;
    };
    const showErrors = (errors: Record<string, string>): void => {
      for (const [name, slot] of errorSlots) slot.textContent = errors[name] ?? "";
    };

    // Apply the limits between fields: bounds, range text, notes, disabled state; a field
    // switched off is kept inside its limits (the backend still validates its value).
    const applyLimits = (): void => {
      for (let pass = 0; pass < 3; pass += 1) {
        limits = computeLimits(values);
        let changed = false;
        for (const field of fields) {
          if (!field.visible) continue;
          const lim = limits[field.name];
          const control = valueControls.get(field.name);
          if (!control) continue;
          const off = !available || !field.enabled || lim?.disabled === true;
          control.disabled = off;
          const slider = sliders.get(field.name);
          if (slider) slider.disabled = off;
          const note = noteSlots.get(field.name);
          if (note) note.textContent = field.enabled ? (lim?.note ?? "") : "";
          if (field.type !== "number") continue;
          const { min, max } = boundsOf(field, lim);
          for (const input of [control, slider]) {
            if (!(input instanceof HTMLInputElement)) continue;
            if (min !== null) input.min = String(min);
            if (max !== null) input.max = String(max);
          }
          const range = rangeSlots.get(field.name);
          if (range) range.textContent = rangeText(field, lim);
          const value = values[field.name];
          if (lim?.disabled && field.enabled && typeof value === "number") {
            const clamped = Math.min(max ?? value, Math.max(min ?? value, value));
            if (clamped !== value) {
              values[field.name] = clamped;
              setControl(field.name, clamped);
              changed = true;
            }
          }
        }
        if (!changed) break;
      }
    };

    const validate = (): Record<string, string> => collectSubmission(fields, rawValues(), limits).errors;

    form.addEventListener("input", (event) => {
      const target = event.target;
      if (target instanceof HTMLInputElement && target.dataset["role"] === "slider") {
        const number = valueControls.get(target.name);
        if (number) number.value = target.value;
      } else if (target instanceof HTMLInputElement && target.type === "number") {
        const slider = sliders.get(target.name);
        if (slider && target.value !== "") slider.value = target.value;
      }
      values = readValues();
      applyLimits();
    });
    form.addEventListener("change", () => {
      values = readValues();
      applyLimits();
      if (!open) showErrors(validate());
    });

    reset.addEventListener("click", () => {
      if (open) {
        const area = valueControls.get("parameters");
        if (area) area.value = "{}";
      } else {
        values = defaultValues(fields);
        for (const field of fields) if (field.visible) setControl(field.name, values[field.name]);
        applyLimits();
      }
      showErrors({});
      formError.textContent = "";
      restoredNote.hidden = true;
    });

    // ------------------------------------------------------------------ the run panel
    let bar: ProgressBar | null = null;
    let unmounted = false;
    const ensureBar = (): ProgressBar => {
      if (!bar) {
        bar = helpers?.ui?.createProgressBar ? helpers.ui.createProgressBar() : createOwnProgressBar(doc, reporting);
        slot.replaceChildren(bar.element);
      }
      return bar;
    };
    const dropBar = (): void => {
      bar?.remove();
      bar = null;
      slot.replaceChildren();
    };
    const busy = (state: RunState): boolean =>
      state.phase === "submitting" || (state.phase === "active" && ["pending", "dispatched", "running"].includes(state.status));

    const paramsInvalid = (messages: RunMessage[]): Record<string, string> => {
      const lines = messages.filter((m) => m.code === "PARAMS.INVALID").map((m) => m.text);
      return fieldErrorsOf(lines.join("\n"), fields.map((f) => f.name));
    };

    let restoring = false;
    const render = (state: RunState): void => {
      if (unmounted) return;
      runBox.dataset["plmsState"] = state.phase;
      runBox.dataset["status"] = "status" in state ? state.status : "";
      submit.disabled = !available || busy(state);
      switch (state.phase) {
        case "idle":
          dropBar();
          body.replaceChildren();
          return;
        case "submitting":
          dropBar();
          ensureBar().indeterminate("Sending your parameters…");
          body.innerHTML = `<p class="plms-detail">Sending your parameters…</p>`;
          return;
        case "active": {
          const known = statusText(state.status).kind !== "unknown";
          const view = progressView(state, reporting);
          const progress = ensureBar();
          if (view.mode === "determinate") progress.update(view.pct, view.label);
          else if (state.status === "running") progress.update(null, view.label);
          else progress.indeterminate(view.label);
          body.innerHTML = statusPanelHtml(state.status, esc) + (known ? "" : `<p class="plms-detail">Still waiting for the run to end…</p>`);
          return;
        }
        case "terminal": {
          const text = statusText(state.status);
          if (bar) {
            if (text.kind === "success") bar.complete("Finished");
            else bar.error(text.title);
          }
          let html = statusPanelHtml(state.status, esc, state.runtimeSeconds);
          if (restoring) html += `<p class="plms-restored-run">This is the result of your last run.</p>`;
          if (state.status === "success") {
            html += outcomeHtml(outcomeOf(state.outputs), esc);
            const context: ResultContext = { esc, outputs: state.outputs, views, uid };
            try {
              html += resultsHtml(state.outputs, views, esc, options.notes, options.formats) + (options.renderExtra?.(context) ?? "");
            } catch {
              html += `<p class="plms-error" role="alert">The results arrived but could not be displayed.</p>`;
            }
          }
          const messages = messagesHtml(state.messages, esc);
          html += messages;
          if (!messages && text.kind !== "success") html += `<p class="plms-detail">The run reported no messages.</p>`;
          body.innerHTML = html;
          if (!open) {
            const errors = paramsInvalid(state.messages);
            if (Object.keys(errors).length) showErrors(errors);
          }
          return;
        }
        case "refused": {
          dropBar();
          if (!open) showErrors(state.fieldErrors);
          const custom = helpers?.ui?.renderSubmissionError?.(state.error) ?? null;
          if (custom) {
            body.replaceChildren(custom);
            return;
          }
          const title =
            state.error.status === 429
              ? "Too many runs at once"
              : state.error.status === 400 || state.error.status === 422
                ? "These parameters were not accepted"
                : "The run was not accepted";
          const lines = state.detail.split("\n").filter((l) => l.trim());
          body.innerHTML =
            `<div class="plms-status plms-status-failure" data-kind="refused"><h3><span aria-hidden="true">✖</span> ${esc(title)}</h3>` +
            `<p class="plms-detail">Nothing was run. ${Object.keys(state.fieldErrors).length ? "Change the values marked in the form and try again." : "Try again in a moment."}</p>` +
            (lines.length ? `<ul class="plms-refusal">${lines.map((l) => `<li>${esc(l)}</li>`).join("")}</ul>` : "") +
            `</div>`;
          return;
        }
        case "recorded":
          dropBar();
          body.innerHTML = `<div class="plms-status plms-status-success" data-kind="success"><h3><span aria-hidden="true">✔</span> Your submission was recorded.</h3></div>`;
          return;
        case "transport":
          if (bar) bar.error("Connection problem");
          body.innerHTML =
            `<div class="plms-status plms-status-failure" data-kind="transport"><h3><span aria-hidden="true">✖</span> Connection problem</h3>` +
            `<p class="plms-detail">${esc(state.text)}</p></div>`;
          return;
      }
    };

    const session = new RunSession(helpers.api, render, fields.map((f) => f.name));

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (!available) return;
      restoring = false;
      formError.textContent = "";
      if (open) {
        const area = valueControls.get("parameters");
        const parsed = parseOpenParameters(area?.value ?? "{}");
        showErrors(parsed.error ? { parameters: parsed.error } : {});
        if (parsed.parameters) void session.submit(parsed.parameters);
        return;
      }
      values = readValues();
      applyLimits();
      const { parameters, errors } = collectSubmission(fields, rawValues(), limits);
      showErrors(errors);
      const count = Object.keys(errors).length;
      if (count) {
        formError.textContent = `Fix the ${count === 1 ? "value" : `${count} values`} marked above before running.`;
        const first = fields.find((f) => errors[f.name]);
        if (first) valueControls.get(first.name)?.focus();
        return;
      }
      void session.submit(parameters);
    });

    applyLimits();
    if (!available) for (const control of [...valueControls.values(), ...sliders.values()]) control.disabled = true;
    submit.disabled = !available;
    reset.disabled = !available;
    if (lastRun?.run && typeof lastRun.run === "object") {
      restoring = isTerminalStatus(String(lastRun.run.status));
      session.restore(lastRun);
    }

    return {
      unmount() {
        unmounted = true;
        session.stop();
        bar?.remove();
        element.replaceChildren();
      },
    };
  };
}
