// Tiny HTML-string helpers. Views are pure functions returning HTML, so they can be unit
// tested in node without a DOM. Every string a view did not make goes through the `Escape`
// it is given: the host's `helpers.escape` in a mounted bundle, `escapeHtml` in tests.
export type Escape = (text: string) => string;

export function escapeHtml(text: string): string {
  return String(text)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** A number as a person reads it: grouped thousands, three significant digits below that. */
export function formatNumber(value: unknown, digits = 3): string {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    return value === null || value === undefined ? "–" : String(value);
  }
  const abs = Math.abs(value);
  if (abs >= 1000) return Math.round(value).toLocaleString("en-US");
  if (abs === 0) return "0";
  return Number(value.toPrecision(digits)).toLocaleString("en-US", { maximumFractionDigits: 6 });
}

const UNITS: Record<string, string> = {
  "1": "",
  m2: "m²",
  m3: "m³",
  "m3/h": "m³/h",
  degC: "°C",
  deg: "°",
  K: "K",
  "W/(m2.K)": "W/(m²·K)",
  "kWh/m2": "kWh/m²",
  "kBtu/ft2": "kBtu/ft²",
  ft2: "ft²",
};

/** A manifest unit as a learner reads it (`m2` -> `m²`, `degC` -> `°C`, `1` -> nothing). */
export function prettyUnit(unit: string | null | undefined): string {
  if (!unit) return "";
  return UNITS[unit] ?? unit;
}

/** `value unit` with a thin gap, or the value alone for a dimensionless quantity. */
export function withUnit(value: unknown, unit: string | null | undefined): string {
  const shown = prettyUnit(unit);
  const number = formatNumber(value);
  if (!shown) return number;
  return shown === "°" ? `${number}°` : `${number} ${shown}`;
}
