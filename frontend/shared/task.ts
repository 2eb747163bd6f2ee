// The controller both bundles share: form -> submit -> follow progress -> fetch the output
// envelope -> render it. A bundle supplies only how its successful outputs look.
import { formHtml, coerceValues, initialValues, type FormOptions, type RawValues } from "./form";
import { esc } from "./html";
import { isKnownStatus, isTerminal, type Mount, type MountConfig, type RunSnapshot, type SimulationOutputEnvelope } from "./mount";
import { messagesHtml, statusHtml, statusView } from "./status";
import { STYLES } from "./styles";

export interface TaskOptions {
  /** HTML for a successful run's outputs (cards, charts). Messages are rendered after it. */
  renderOutputs(envelope: SimulationOutputEnvelope, config: MountConfig): string;
  form?: FormOptions;
  submitLabel?: string;
}

/** The run panel for any snapshot, with the output envelope once there is one. */
export function runPanelHtml(
  snapshot: RunSnapshot,
  envelope: SimulationOutputEnvelope | null,
  config: MountConfig,
  options: TaskOptions,
): string {
  const view = statusView(snapshot, envelope);
  let body = statusHtml(view);
  if (view.kind === "success" && envelope) {
    let outputs: string;
    try {
      outputs = options.renderOutputs(envelope, config);
    } catch (error) {
      outputs = `<p class="plms-error" role="alert">The results could not be displayed: ${esc(String(error))}</p>`;
    }
    body += outputs + messagesHtml(view.messages);
  } else if (view.kind === "success") {
    body += `<p class="plms-detail">Loading the results…</p>`;
  }
  return body;
}

function readRaw(form: HTMLFormElement, config: MountConfig): RawValues {
  const raw: RawValues = {};
  for (const spec of config.parameters) {
    const control = form.elements.namedItem(spec.name);
    if (!(control instanceof HTMLInputElement || control instanceof HTMLSelectElement)) continue;
    raw[spec.name] = control instanceof HTMLInputElement && control.type === "checkbox" ? control.checked : control.value;
  }
  return raw;
}

export function createMount(options: TaskOptions): Mount {
  return (element, config, helpers) => {
    let stopFollowing: (() => void) | null = null;
    let unmounted = false;
    const values = initialValues(config.parameters, config.lastRun?.parameters);
    element.innerHTML =
      `<style>${STYLES}</style>` +
      `<div class="plms-task" data-slug="${esc(config.slug)}">` +
      `<form class="plms-form" novalidate><fieldset><legend>${esc(config.name)}: parameters</legend>` +
      formHtml(config.parameters, values, options.form) +
      `</fieldset><p class="plms-form-error" role="alert"></p>` +
      `<button type="submit" class="plms-submit">${esc(options.submitLabel ?? "Run simulation")}</button></form>` +
      `<section class="plms-run" aria-live="polite" aria-label="Run status and results"></section>` +
      `</div>`;
    const form = element.querySelector("form") as HTMLFormElement;
    const panel = element.querySelector(".plms-run") as HTMLElement;
    const button = element.querySelector(".plms-submit") as HTMLButtonElement;
    const formError = element.querySelector(".plms-form-error") as HTMLElement;

    const show = (snapshot: RunSnapshot, envelope: SimulationOutputEnvelope | null): void => {
      if (unmounted) return;
      panel.innerHTML = runPanelHtml(snapshot, envelope, config, options);
      // Busy while the run is in a known active state; an unknown status never locks the form.
      button.disabled = isKnownStatus(snapshot.status) && !isTerminal(snapshot.status);
    };
    const showError = (text: string): void => {
      panel.innerHTML = `<div class="plms-status plms-status-failure" data-kind="error"><h3>✖ Could not reach the run service</h3><p class="plms-detail">${esc(text)}</p></div>`;
      button.disabled = false;
    };

    // Keep each slider and its number input in step.
    form.addEventListener("input", (event) => {
      const target = event.target;
      if (!(target instanceof HTMLInputElement)) return;
      const mirrorOf = target.dataset["mirror"];
      if (mirrorOf) {
        const number = form.elements.namedItem(mirrorOf);
        if (number instanceof HTMLInputElement) number.value = target.value;
      } else if (target.type === "number") {
        const slider = form.querySelector(`input[data-mirror="${CSS.escape(target.name)}"]`);
        if (slider instanceof HTMLInputElement) slider.value = target.value;
      }
    });

    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const { values: params, errors } = coerceValues(config.parameters, readRaw(form, config));
      for (const el of Array.from(form.querySelectorAll<HTMLElement>("[data-error-for]"))) {
        el.textContent = errors[el.dataset["errorFor"] ?? ""] ?? "";
      }
      const count = Object.keys(errors).length;
      formError.textContent = count ? `Fix ${count} parameter${count > 1 ? "s" : ""} before running.` : "";
      if (count) return;
      stopFollowing?.();
      button.disabled = true;
      show({ run_id: "", status: "pending", progress: null, messages: [] }, null);
      helpers.submit(params).then(
        ({ run_id }) => {
          if (unmounted) return;
          stopFollowing = helpers.follow(run_id, (snapshot) => {
            show(snapshot, null);
            if (!isTerminal(snapshot.status)) return;
            helpers.fetchOutput(run_id).then(
              (envelope) => show(snapshot, envelope),
              (error: unknown) =>
                show(
                  {
                    ...snapshot,
                    messages: [
                      ...snapshot.messages,
                      { level: "error", code: "OUTPUT.UNAVAILABLE", text: `The output envelope could not be fetched: ${String(error)}` },
                    ],
                  },
                  null,
                ),
            );
          });
        },
        (error: unknown) => showError(String(error instanceof Error ? error.message : error)),
      );
    });

    if (config.lastRun) show(config.lastRun.snapshot, config.lastRun.output);

    return {
      unmount() {
        unmounted = true;
        stopFollowing?.();
        element.innerHTML = "";
      },
    };
  };
}
