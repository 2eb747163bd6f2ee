// Monthly heating and cooling as an SVG grouped bar chart. Readable without colour: heating
// bars are solid, cooling bars hatched, the legend says so, every bar has a <title>, and the
// same numbers are in a table below. Drawn on a 480-unit-wide canvas with large type, so
// that scaled down to a 360 px phone its labels stay legible. Ids carry the mount's prefix.
import { type Escape, formatNumber } from "../../../../frontend/shared/html";

export const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** A "nice" axis maximum (1, 2, 2.5 or 5 times a power of ten) at or above `value`. */
export function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const factor of [1, 2, 2.5, 5, 10]) if (factor * power >= value) return factor * power;
  return 10 * power;
}

export interface BarGeometry {
  month: string;
  series: "heating" | "cooling";
  value: number;
  x: number;
  y: number;
  width: number;
  height: number;
}

export const WIDTH = 480;
export const HEIGHT = 300;
const PAD = { left: 52, right: 8, top: 40, bottom: 30 };

function series(values: unknown): number[] {
  return Array.isArray(values) ? values.map((v) => (typeof v === "number" && Number.isFinite(v) ? v : 0)) : [];
}

export function barGeometry(heating: number[], cooling: number[]): { bars: BarGeometry[]; max: number } {
  const max = niceMax(Math.max(0, ...heating, ...cooling));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const group = plotW / 12;
  const bar = group * 0.38;
  const bars: BarGeometry[] = [];
  MONTHS.forEach((month, i) => {
    ([["heating", heating[i] ?? 0], ["cooling", cooling[i] ?? 0]] as const).forEach(([name, value], j) => {
      const height = (Math.max(0, value) / max) * plotH;
      bars.push({ month, series: name, value, x: PAD.left + i * group + group * 0.12 + j * bar, y: PAD.top + plotH - height, width: bar, height });
    });
  });
  return { bars, max };
}

export function monthlyChartHtml(rawHeating: unknown, rawCooling: unknown, esc: Escape, uid: string): string {
  const heating = series(rawHeating);
  const cooling = series(rawCooling);
  if (!heating.length && !cooling.length) return "";
  const { bars, max } = barGeometry(heating, cooling);
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const hatch = `${uid}-hatch`;
  const title = `${uid}-chart-title`;
  const ticks = [0, 0.5, 1].map((f) => {
    const y = PAD.top + plotH - f * plotH;
    return (
      `<line x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${y}" y2="${y}" stroke="#d0d0d0"/>` +
      `<text x="${PAD.left - 6}" y="${y + 5}" text-anchor="end" font-size="15">${esc(formatNumber(f * max))}</text>`
    );
  });
  const rects = bars.map(
    (b) =>
      `<rect class="plms-bar plms-bar-${b.series}" x="${b.x.toFixed(1)}" y="${b.y.toFixed(1)}" width="${b.width.toFixed(1)}" height="${b.height.toFixed(1)}" ` +
      `fill="${b.series === "heating" ? "#b3411f" : `url(#${hatch})`}" stroke="${b.series === "heating" ? "#6e2410" : "#1f4f8f"}">` +
      `<title>${esc(b.month)} ${b.series}: ${esc(formatNumber(b.value))} kWh</title></rect>`,
  );
  const labels = MONTHS.map((m, i) => {
    const x = PAD.left + ((i + 0.5) * (WIDTH - PAD.left - PAD.right)) / 12;
    return `<text x="${x.toFixed(1)}" y="${HEIGHT - PAD.bottom + 20}" text-anchor="middle" font-size="15">${m}</text>`;
  });
  const legend =
    `<g font-size="15" transform="translate(${PAD.left},6)">` +
    `<rect width="16" height="16" fill="#b3411f" stroke="#6e2410"/><text x="22" y="13">Heating (solid)</text>` +
    `<rect x="160" width="16" height="16" fill="url(#${hatch})" stroke="#1f4f8f"/><text x="182" y="13">Cooling (hatched)</text>` +
    `</g>`;
  const svg =
    `<svg viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-labelledby="${title}" xmlns="http://www.w3.org/2000/svg" font-family="system-ui,sans-serif">` +
    `<title id="${title}">Monthly heating and cooling load, kWh</title>` +
    `<defs><pattern id="${hatch}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">` +
    `<rect width="6" height="6" fill="#dbe7f7"/><line x1="0" y1="0" x2="0" y2="6" stroke="#1f4f8f" stroke-width="2.5"/></pattern></defs>` +
    ticks.join("") +
    `<text x="${PAD.left - 6}" y="${PAD.top - 14}" text-anchor="end" font-size="15">kWh</text>` +
    rects.join("") +
    labels.join("") +
    legend +
    `</svg>`;
  const table =
    `<details><summary>Monthly values as a table</summary><table class="plms-table plms-monthly"><thead><tr><th>Month</th><th>Heating (kWh)</th><th>Cooling (kWh)</th></tr></thead><tbody>` +
    MONTHS.map((m, i) => `<tr><td>${m}</td><td>${esc(formatNumber(heating[i] ?? 0))}</td><td>${esc(formatNumber(cooling[i] ?? 0))}</td></tr>`).join("") +
    `</tbody></table></details>`;
  return `<figure class="plms-chart"><figcaption>Heating and cooling, month by month</figcaption>${svg}${table}</figure>`;
}
