// A finished run's declared outputs (Layer 1 labels and units, Layer 2 `visible` and
// `display_hint`), as pure functions returning HTML: `value-card` outputs as cards, `alert`
// outputs as a notice when they are set, the others in a table. Outputs the manifest does
// not declare (series, mappings) are the bundle's own to show.
import type { BlockOutputSettings } from "./contract";
import { type Escape, formatNumber, prettyUnit } from "./html";
import type { TaskOutput } from "./wire";

export interface OutputView {
  name: string;
  label: string;
  unit: string;
  description: string;
  hint: string;
}

/** Layer 1 outputs with the block's settings: hidden ones left out, hints replaced. */
export function effectiveOutputs(
  layer1: TaskOutput[],
  layer2: Record<string, BlockOutputSettings> | undefined,
): OutputView[] {
  return layer1
    .filter((o) => layer2?.[o.name]?.visible !== false)
    .map((o) => ({
      name: o.name,
      label: o.label || o.name,
      unit: o.unit ?? "",
      description: o.description ?? "",
      hint: layer2?.[o.name]?.display_hint ?? o.display_hint ?? "",
    }));
}

/** A value as text (numbers formatted, booleans as yes/no, empty as a dash). */
export function valueText(value: unknown): string {
  if (typeof value === "number") return formatNumber(value);
  if (typeof value === "boolean") return value ? "yes" : "no";
  if (typeof value === "string") return value === "" ? "–" : value;
  if (value === null || value === undefined) return "–";
  return JSON.stringify(value);
}

/** Per output: a note under its value, from all the outputs. */
export type Notes = Record<string, (outputs: Record<string, unknown>) => string>;
/** Per output: how its value reads (instead of `valueText`). */
export type Formats = Record<string, (value: unknown) => string>;

function shown(name: string, outputs: Record<string, unknown>, formats: Formats): string {
  const format = formats[name];
  return format ? format(outputs[name]) : valueText(outputs[name]);
}

function unitHtml(unit: string, esc: Escape): string {
  const shown = prettyUnit(unit);
  return shown ? ` <small class="plms-unit">${esc(shown)}</small>` : "";
}

export function cardHtml(
  view: OutputView,
  outputs: Record<string, unknown>,
  esc: Escape,
  notes: Notes = {},
  formats: Formats = {},
): string {
  const note = notes[view.name]?.(outputs) ?? "";
  return (
    `<div class="plms-card" data-output="${esc(view.name)}">` +
    `<div class="plms-card-label">${esc(view.label)}</div>` +
    `<div class="plms-card-value">${esc(shown(view.name, outputs, formats))}${unitHtml(view.unit, esc)}</div>` +
    (note ? `<div class="plms-card-note">${esc(note)}</div>` : "") +
    `</div>`
  );
}

/** Cards, alerts and the table of the declared outputs present in `outputs`. */
export function resultsHtml(
  outputs: Record<string, unknown>,
  views: OutputView[],
  esc: Escape,
  notes: Notes = {},
  formats: Formats = {},
): string {
  const present = views.filter((v) => v.name in outputs);
  const cards = present.filter((v) => v.hint === "value-card");
  const alerts = present.filter((v) => v.hint === "alert" && outputs[v.name] !== 0 && outputs[v.name] !== false && outputs[v.name] !== "");
  const rows = present.filter((v) => v.hint !== "value-card" && v.hint !== "alert");
  let html = "";
  if (cards.length) html += `<div class="plms-cards">${cards.map((v) => cardHtml(v, outputs, esc, notes, formats)).join("")}</div>`;
  for (const v of alerts) {
    const note = notes[v.name]?.(outputs) ?? v.description;
    html +=
      `<p class="plms-alert" data-output="${esc(v.name)}"><strong>${esc(v.label)}:</strong> ` +
      `${esc(shown(v.name, outputs, formats))}${unitHtml(v.unit, esc)}` +
      (note ? ` <small>${esc(note)}</small>` : "") +
      `</p>`;
  }
  if (rows.length) {
    html +=
      `<table class="plms-table"><caption>More results</caption><tbody>` +
      rows
        .map((v) => {
          const note = notes[v.name]?.(outputs) ?? "";
          return (
            `<tr data-output="${esc(v.name)}"><th scope="row">${esc(v.label)}</th>` +
            `<td>${esc(shown(v.name, outputs, formats))}${unitHtml(v.unit, esc)}` +
            (note ? ` <small>${esc(note)}</small>` : "") +
            `</td></tr>`
          );
        })
        .join("") +
      `</tbody></table>`;
  }
  return html;
}
