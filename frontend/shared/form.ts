// The parameter form: Layer 1 (the manifest compiled into the bundle) narrowed by Layer 2
// (the block's config), as pure functions, so that every rule is unit-tested in node.
//
// Layer 2 (platform.md §2) as the form honours it:
// * `visible: false`: the field is not rendered; its default is submitted.
// * `enabled: false`: the field is rendered disabled with its default; that is submitted.
// * `min` / `max` / `default` / `choices`: a narrower range, another default, a subset of the
//   choices (a `{value, label}` entry may relabel a choice). A block may only tighten: a
//   wider bound, an unknown choice or an unknown parameter is ignored here (the platform
//   refuses such a block when it is saved).
// A bundle may add, per field, limits that follow other fields (`Limits`: a window's area
// cannot exceed its facade), switch a field off while another one makes it meaningless
// (`disabled`: not editable, kept inside its limits and submitted as it stands, since the
// backend still validates it), and choices it cannot offer (a weather file it cannot send).
import type { BlockParameterSettings } from "./contract";
import { type Escape, formatNumber, prettyUnit, withUnit } from "./html";
import type { EnumChoice, TaskParameter, TaskValueType } from "./wire";

export type Scalar = string | number | boolean;

/** One parameter as this block presents it: Layer 1 ∩ Layer 2 (and the bundle's wording). */
export interface Field {
  name: string;
  type: TaskValueType;
  label: string;
  description: string;
  unit: string;
  min: number | null;
  max: number | null;
  step: number | null;
  default: Scalar | null;
  required: boolean;
  /** The choices offered (enum only; empty otherwise). */
  choices: EnumChoice[];
  visible: boolean;
  enabled: boolean;
}

/** Limits a bundle derives from the other fields' values (see the module comment). */
export interface Limits {
  min?: number;
  max?: number;
  /** Not meaningful with the other values (e.g. a night setpoint while setback is off). */
  disabled?: boolean;
  /** Why the limit or the disabled state (shown under the field). */
  note?: string;
  /** A rule between fields this value breaks (shown as the field's error). */
  error?: string;
}

export type LimitsByName = Record<string, Limits>;
export type Values = Record<string, Scalar | null>;

export interface FieldText {
  label?: string;
  description?: string;
}

export interface FieldGroup {
  title: string;
  names: string[];
  /** Open on first view (default true). */
  open?: boolean;
}

export interface FormOptions {
  /** Choices this bundle cannot offer (e.g. one that needs a file); kept if it is the default. */
  hiddenChoices?: Record<string, Scalar[]>;
  /** Learner-facing wording that replaces the manifest's label or description. */
  text?: Record<string, FieldText>;
  groups?: FieldGroup[];
  /** Fields that take a whole row of the grid (long choice labels). */
  wide?: string[];
}

function same(a: unknown, b: unknown): boolean {
  return typeof a === typeof b && a === b;
}

function finite(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

/** Layer 1 narrowed by Layer 2 (and the bundle's wording and hidden choices). */
export function effectiveFields(
  layer1: TaskParameter[],
  layer2: Record<string, BlockParameterSettings> | undefined,
  options: FormOptions = {},
): Field[] {
  return layer1.map((spec) => {
    const block: BlockParameterSettings = layer2?.[spec.name] ?? {};
    const text = options.text?.[spec.name] ?? {};
    let min = finite(spec.min) ? spec.min : null;
    let max = finite(spec.max) ? spec.max : null;
    if (spec.type === "number") {
      if (finite(block.min) && (min === null || block.min >= min)) min = block.min;
      if (finite(block.max) && (max === null || block.max <= max)) max = block.max;
    }
    const manifestChoices = spec.choices ?? [];
    let choices = manifestChoices;
    if (spec.type === "enum" && Array.isArray(block.choices)) {
      const subset: EnumChoice[] = [];
      for (const entry of block.choices) {
        const value = typeof entry === "object" && entry !== null ? entry.value : entry;
        const known = manifestChoices.find((c) => same(c.value, value));
        if (!known) continue;
        const label = typeof entry === "object" && entry !== null && entry.label ? entry.label : known.label;
        subset.push({ value: known.value, label });
      }
      if (subset.length) choices = subset;
    }
    const blockDefault = block.default;
    const fallback = spec.default ?? null;
    const defaultValue = blockDefault !== undefined && blockDefault !== null ? blockDefault : fallback;
    const hidden = options.hiddenChoices?.[spec.name] ?? [];
    if (hidden.length) {
      const kept = choices.filter((c) => !hidden.some((h) => same(h, c.value)) || same(c.value, defaultValue));
      if (kept.length) choices = kept;
    }
    return {
      name: spec.name,
      type: spec.type,
      label: text.label ?? spec.label ?? spec.name,
      description: text.description ?? spec.description ?? "",
      unit: spec.unit ?? "",
      min,
      max,
      step: finite(spec.step) ? spec.step : null,
      default: defaultValue,
      required: spec.required === true,
      choices: spec.type === "enum" ? choices : [],
      visible: block.visible !== false,
      enabled: block.enabled !== false,
    };
  });
}

/** Hidden or disabled by the block: the learner cannot change it; it keeps its default. */
export function isLocked(field: Field): boolean {
  return !field.visible || !field.enabled;
}

/** The bounds in force: the field's, narrowed by the bundle's limits. */
export function boundsOf(field: Field, limits: Limits | undefined): { min: number | null; max: number | null } {
  let { min, max } = field;
  if (limits && finite(limits.min)) min = min === null ? limits.min : Math.max(min, limits.min);
  if (limits && finite(limits.max)) max = max === null ? limits.max : Math.min(max, limits.max);
  if (min !== null && max !== null && max < min) max = min;
  return { min, max };
}

/** Whole steps from a whole minimum and a whole default: the parameter counts (hours, items). */
function wholeNumbersOnly(field: Field): boolean {
  const whole = (v: unknown): boolean => v === null || (typeof v === "number" && Number.isInteger(v));
  return field.step !== null && Number.isInteger(field.step) && whole(field.min) && whole(field.default);
}

/** Why `value` is not allowed for `field` (in plain words), or null. */
export function valueProblem(field: Field, value: unknown, limits?: Limits): string | null {
  switch (field.type) {
    case "number": {
      if (!finite(value)) return `Enter a number for ${field.label.toLowerCase()}.`;
      if (wholeNumbersOnly(field) && !Number.isInteger(value)) return `Enter a whole number.`;
      const { min, max } = boundsOf(field, limits);
      const why = limits?.note ? ` (${limits.note})` : "";
      const fromLimits = (bound: "min" | "max"): string =>
        limits && finite(limits[bound]) && (bound === "min" ? min === limits.min : max === limits.max) ? why : "";
      if (min !== null && value < min) return `Must be at least ${withUnit(min, field.unit)}${fromLimits("min")}.`;
      if (max !== null && value > max) return `Must be at most ${withUnit(max, field.unit)}${fromLimits("max")}.`;
      return null;
    }
    case "enum":
      return field.choices.some((c) => same(c.value, value)) ? null : "Choose one of the listed options.";
    case "boolean":
      return typeof value === "boolean" ? null : "Tick or untick the box.";
    default:
      return typeof value === "string" ? null : "Enter some text.";
  }
}

/**
 * The values the form starts with: the block's defaults for locked fields, the last run's
 * values where they are still allowed, the defaults otherwise. `restored` names the fields
 * whose value came from the last run and differs from the default.
 */
export function initialValues(
  fields: Field[],
  previous: Record<string, unknown> | null | undefined,
): { values: Values; restored: string[] } {
  const values: Values = {};
  const restored: string[] = [];
  for (const field of fields) {
    const prev = previous?.[field.name];
    if (!isLocked(field) && prev !== undefined && valueProblem(field, prev) === null) {
      values[field.name] = prev as Scalar;
      if (!same(prev, field.default)) restored.push(field.name);
    } else {
      values[field.name] = field.default;
    }
  }
  return { values, restored };
}

/** Every field at its default (what "reset to defaults" puts into the form). */
export function defaultValues(fields: Field[]): Values {
  return Object.fromEntries(fields.map((f) => [f.name, f.default]));
}

/** A control's raw content as a typed value: `{value}`, `{error}`, or `{}` (left empty). */
export function parseRaw(field: Field, raw: string | boolean): { value?: Scalar; error?: string } {
  if (field.type === "boolean") return { value: raw === true || raw === "true" || raw === "on" };
  const text = String(raw).trim();
  if (field.type === "number") {
    if (text === "") {
      return field.required || field.default !== null ? { error: `Enter a value.` } : {};
    }
    const number = Number(text);
    if (!Number.isFinite(number)) return { error: `Enter a number, e.g. ${formatNumber(field.default ?? 1)}.` };
    return { value: number };
  }
  if (field.type === "enum") {
    const match = field.choices.find((c) => String(c.value) === text);
    return match ? { value: match.value } : { error: "Choose one of the listed options." };
  }
  if (text === "" && field.required) return { error: "Enter a value." };
  return { value: String(raw) };
}

export interface Submission {
  parameters: Record<string, Scalar>;
  errors: Record<string, string>;
}

/**
 * What the form submits: each editable field's value (checked against its bounds, the
 * bundle's limits and rules), each locked field's default. Nothing is submitted while
 * `errors` is not empty.
 */
export function collectSubmission(
  fields: Field[],
  raw: Record<string, string | boolean>,
  limits: LimitsByName = {},
): Submission {
  const parameters: Record<string, Scalar> = {};
  const errors: Record<string, string> = {};
  for (const field of fields) {
    if (isLocked(field)) {
      if (field.default !== null) parameters[field.name] = field.default;
      continue;
    }
    const input = raw[field.name];
    if (input === undefined) continue;
    const parsed = parseRaw(field, input);
    if (parsed.error) {
      errors[field.name] = parsed.error;
      continue;
    }
    if (parsed.value === undefined) continue;
    const problem = valueProblem(field, parsed.value, limits[field.name]) ?? limits[field.name]?.error ?? null;
    if (problem) errors[field.name] = problem;
    else parameters[field.name] = parsed.value;
  }
  return { parameters, errors };
}

/** An open schema (`parameters: []`): one JSON object, or a plain-words error. */
export function parseOpenParameters(text: string): { parameters?: Record<string, unknown>; error?: string } {
  const trimmed = text.trim();
  if (trimmed === "") return { parameters: {} };
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    return { error: 'Enter the parameters as a JSON object, e.g. {"message": "hello"}.' };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return { error: 'The parameters must be one JSON object in braces, e.g. {"message": "hello"}.' };
  }
  return { parameters: value as Record<string, unknown> };
}

// ------------------------------------------------------------------------------- HTML

/** The text under a number field: its range in force. */
export function rangeText(field: Field, limits?: Limits): string {
  const { min, max } = boundsOf(field, limits);
  if (min === null && max === null) return "";
  const unit = prettyUnit(field.unit);
  const low = min === null ? "…" : formatNumber(min, 4);
  const high = max === null ? "…" : formatNumber(max, 4);
  return `${low} to ${high}${unit ? (unit === "°" ? "°" : ` ${unit}`) : ""}`;
}

function attr(esc: Escape, value: unknown): string {
  return esc(String(value));
}

function controlHtml(field: Field, value: Scalar | null, esc: Escape, id: string, limits?: Limits): string {
  const name = attr(esc, field.name);
  const off = !field.enabled || limits?.disabled ? " disabled" : "";
  if (field.type === "boolean") {
    return (
      `<label class="plms-check" for="${attr(esc, id)}"><input type="checkbox" id="${attr(esc, id)}" name="${name}"` +
      `${value === true ? " checked" : ""}${off}> <span>${esc(field.label)}</span></label>`
    );
  }
  if (field.type === "enum") {
    const options = field.choices
      .map(
        (c) =>
          `<option value="${attr(esc, c.value)}"${same(c.value, value) ? " selected" : ""}>${esc(c.label)}</option>`,
      )
      .join("");
    return `<select id="${attr(esc, id)}" name="${name}"${off}>${options}</select>`;
  }
  if (field.type === "number") {
    const { min, max } = boundsOf(field, limits);
    const bounds =
      (min !== null ? ` min="${attr(esc, min)}"` : "") +
      (max !== null ? ` max="${attr(esc, max)}"` : "") +
      ` step="${attr(esc, field.step ?? "any")}"`;
    const shown = value === null ? "" : attr(esc, value);
    const slider =
      min !== null && max !== null
        ? `<input type="range" name="${name}" data-role="slider" aria-label="${attr(esc, field.label)}" tabindex="-1" value="${shown}"${bounds}${off}>`
        : "";
    return (
      `<span class="plms-numeric">${slider}` +
      `<input type="number" id="${attr(esc, id)}" name="${name}" data-role="value" inputmode="decimal" value="${shown}"${bounds}${off}>` +
      `</span>`
    );
  }
  return `<input type="text" id="${attr(esc, id)}" name="${name}" value="${value === null ? "" : attr(esc, value)}"${off}>`;
}

/** One field: label (with unit), control, range, help, note and error slot. */
export function fieldHtml(
  field: Field,
  value: Scalar | null,
  esc: Escape,
  id: string,
  limits?: Limits,
  wide = false,
): string {
  if (!field.visible) return "";
  const name = attr(esc, field.name);
  const unit = prettyUnit(field.unit);
  const label =
    field.type === "boolean"
      ? ""
      : `<label class="plms-label" for="${attr(esc, id)}">${esc(field.label)}` +
        (unit ? ` <span class="plms-unit">(${esc(unit)})</span>` : "") +
        `</label>`;
  const range = field.type === "number" ? `<small class="plms-range" data-range-for="${name}">${esc(rangeText(field, limits))}</small>` : "";
  const help = field.description ? `<small class="plms-help">${esc(field.description)}</small>` : "";
  const course = field.enabled ? "" : `<small class="plms-locked">Set by your course.</small>`;
  const note = `<small class="plms-note" data-note-for="${name}">${esc(field.enabled ? (limits?.note ?? "") : "")}</small>`;
  const error = `<small class="plms-error" data-error-for="${name}" role="alert"></small>`;
  return (
    `<div class="plms-field${wide ? " plms-wide" : ""}" data-field="${name}"${field.enabled ? "" : ' data-locked="course"'}>` +
    label +
    controlHtml(field, value, esc, id, limits) +
    range +
    course +
    note +
    help +
    error +
    `</div>`
  );
}

/** The fields in the bundle's groups (those no group names come last), as fieldsets. */
export function formHtml(
  fields: Field[],
  values: Values,
  esc: Escape,
  idOf: (name: string) => string,
  options: FormOptions = {},
  limits: LimitsByName = {},
): string {
  const groups = options.groups ?? [];
  const grouped = new Set(groups.flatMap((g) => g.names));
  const rest = fields.filter((f) => !grouped.has(f.name)).map((f) => f.name);
  const all: FieldGroup[] = [
    ...groups,
    ...(rest.length ? [{ title: groups.length ? "More settings" : "Parameters", names: rest }] : []),
  ];
  const byName = new Map(fields.map((f) => [f.name, f]));
  return all
    .map((group) => {
      const members = group.names.map((n) => byName.get(n)).filter((f): f is Field => f !== undefined && f.visible);
      if (!members.length) return "";
      const wide = new Set(options.wide ?? []);
      const body = members
        .map((f) => fieldHtml(f, values[f.name] ?? null, esc, idOf(f.name), limits[f.name], wide.has(f.name)))
        .join("");
      return (
        `<details class="plms-group"${group.open === false ? "" : " open"}>` +
        `<summary>${esc(group.title)}</summary><div class="plms-grid">${body}</div></details>`
      );
    })
    .join("");
}

/** An open schema's form: one JSON object. */
export function openSchemaHtml(esc: Escape, id: string, text: string): string {
  return (
    `<div class="plms-field plms-open" data-field="parameters">` +
    `<label class="plms-label" for="${attr(esc, id)}">Parameters (a JSON object)</label>` +
    `<textarea id="${attr(esc, id)}" name="parameters" rows="4" spellcheck="false">${esc(text)}</textarea>` +
    `<small class="plms-help">This task accepts any parameters; they are sent exactly as written here.</small>` +
    `<small class="plms-error" data-error-for="parameters" role="alert"></small></div>`
  );
}
