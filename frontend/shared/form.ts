// A parameter form generated from the manifest's parameter specs, and the coercion and range
// checks applied to what the learner typed before anything is submitted.
import { esc } from "./html";
import type { ChoiceSpec, ParameterSpec } from "./mount";

export interface FormOptions {
  /** Choices to leave out per parameter (e.g. a choice that needs a file the form cannot send). */
  hiddenChoices?: Record<string, Array<string | number>>;
  /** Render numbers with both bounds as a slider plus a number input (default true). */
  sliders?: boolean;
}

export type RawValues = Record<string, string | boolean>;

export interface Coerced {
  values: Record<string, unknown>;
  errors: Record<string, string>;
}

function isNumeric(spec: ParameterSpec): boolean {
  return spec.type === "number" || spec.type === "integer";
}

function labelOf(spec: ParameterSpec): string {
  return spec.label || spec.name;
}

function isChoice(spec: ParameterSpec): boolean {
  return spec.type === "enum" || spec.type === "choice";
}

/** A choice as `{value, label}` (an older bare value is its own label). */
export function choiceOf(choice: ChoiceSpec | string | number): ChoiceSpec {
  return typeof choice === "object" ? choice : { value: choice, label: String(choice) };
}

export function unitSuffix(unit: string | undefined): string {
  return unit && unit !== "1" ? ` (${unit})` : "";
}

/** Initial values: the last run's parameters where valid, else the manifest defaults. */
export function initialValues(
  specs: ParameterSpec[],
  previous: Record<string, unknown> | null | undefined,
): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const spec of specs) {
    const prev = previous?.[spec.name];
    values[spec.name] = prev !== undefined ? prev : spec.default;
  }
  return values;
}

function fieldHtml(spec: ParameterSpec, value: unknown, options: FormOptions): string {
  const id = `plms-p-${spec.name}`;
  const label = `<label for="${esc(id)}">${esc(labelOf(spec))}${esc(unitSuffix(spec.unit))}</label>`;
  const help = spec.description ? `<small class="plms-help">${esc(spec.description)}</small>` : "";
  const error = `<small class="plms-error" data-error-for="${esc(spec.name)}" role="alert"></small>`;
  const name = esc(spec.name);
  let control: string;
  if (spec.type === "boolean") {
    control = `<input type="checkbox" id="${esc(id)}" name="${name}"${value === true ? " checked" : ""}>`;
  } else if (isChoice(spec)) {
    const hidden = options.hiddenChoices?.[spec.name] ?? [];
    const choices = (spec.choices ?? []).map(choiceOf).filter((c) => !hidden.includes(c.value));
    control =
      `<select id="${esc(id)}" name="${name}">` +
      choices
        .map(
          (c) =>
            `<option value="${esc(c.value)}"${String(c.value) === String(value) ? " selected" : ""}>${esc(c.label)}</option>`,
        )
        .join("") +
      `</select>`;
  } else if (isNumeric(spec)) {
    const step = spec.step ?? (spec.type === "integer" ? 1 : "any");
    const bounds =
      (spec.min !== undefined ? ` min="${esc(spec.min)}"` : "") +
      (spec.max !== undefined ? ` max="${esc(spec.max)}"` : "") +
      ` step="${esc(step)}"`;
    const shown = value === undefined || value === null ? "" : esc(value);
    const number = `<input type="number" id="${esc(id)}" name="${name}" value="${shown}"${bounds}>`;
    const slider =
      options.sliders !== false && spec.min !== undefined && spec.max !== undefined
        ? `<input type="range" data-mirror="${name}" aria-label="${esc(labelOf(spec))} slider" value="${shown}"${bounds}>`
        : "";
    const range =
      spec.min !== undefined || spec.max !== undefined
        ? `<small class="plms-range">${esc(spec.min ?? "…")} – ${esc(spec.max ?? "…")}</small>`
        : "";
    control = `<span class="plms-numeric">${slider}${number}</span>${range}`;
  } else {
    control = `<input type="text" id="${esc(id)}" name="${name}" value="${esc(value ?? "")}">`;
  }
  return `<div class="plms-field" data-field="${name}">${label}${control}${help}${error}</div>`;
}

export function formHtml(
  specs: ParameterSpec[],
  values: Record<string, unknown>,
  options: FormOptions = {},
): string {
  return specs.map((spec) => fieldHtml(spec, values[spec.name], options)).join("");
}

/** Turn what the controls hold into typed parameter values; out-of-range values are errors. */
export function coerceValues(specs: ParameterSpec[], raw: RawValues): Coerced {
  const values: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const spec of specs) {
    const input = raw[spec.name];
    if (input === undefined) continue;
    if (spec.type === "boolean") {
      values[spec.name] = input === true || input === "true" || input === "on";
      continue;
    }
    const text = String(input).trim();
    if (isNumeric(spec)) {
      if (text === "") {
        if (spec.required) errors[spec.name] = `${labelOf(spec)} is required`;
        continue;
      }
      const number = Number(text);
      if (!Number.isFinite(number)) {
        errors[spec.name] = `${labelOf(spec)} must be a number`;
        continue;
      }
      if (spec.type === "integer" && !Number.isInteger(number)) {
        errors[spec.name] = `${labelOf(spec)} must be a whole number`;
        continue;
      }
      if (spec.min !== undefined && number < spec.min) {
        errors[spec.name] = `${labelOf(spec)} must be at least ${spec.min}${spec.unit && spec.unit !== "1" ? " " + spec.unit : ""}`;
        continue;
      }
      if (spec.max !== undefined && number > spec.max) {
        errors[spec.name] = `${labelOf(spec)} must be at most ${spec.max}${spec.unit && spec.unit !== "1" ? " " + spec.unit : ""}`;
        continue;
      }
      values[spec.name] = number;
    } else if (isChoice(spec)) {
      const match = (spec.choices ?? []).map(choiceOf).find((c) => String(c.value) === text);
      if (match === undefined) errors[spec.name] = `${labelOf(spec)}: choose one of the listed options`;
      else values[spec.name] = match.value;
    } else {
      values[spec.name] = text;
    }
  }
  return { values, errors };
}
