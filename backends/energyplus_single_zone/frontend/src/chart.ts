// Monthly heating and cooling as an SVG grouped bar chart. Readable without colour: heating
// bars are solid, cooling bars hatched, the legend shows both patterns, every bar has a
// <title>, and the same numbers are in a table below.
import { esc, formatNumber } from "../../../../frontend/shared/html";

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

const W = 640;
const H = 300;
const PAD = { left: 56, right: 12, top: 34, bottom: 30 };

export function barGeometry(heating: number[], cooling: number[]): { bars: BarGeometry[]; max: number } {
  const max = niceMax(Math.max(0, ...heating, ...cooling));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const group = plotW / 12;
  const bar = group * 0.36;
  const bars: BarGeometry[] = [];
  MONTHS.forEach((month, i) => {
    ([["heating", heating[i] ?? 0], ["cooling", cooling[i] ?? 0]] as const).forEach(([series, value], j) => {
      const height = (Math.max(0, value) / max) * plotH;
      bars.push({
        month,
        series,
        value,
        x: PAD.left + i * group + group * 0.14 + j * bar,
        y: PAD.top + plotH - height,
        width: bar,
        height,
      });
    });
  });
  return { bars, max };
}

export function monthlyChartHtml(heating: number[], cooling: number[]): string {
  const { bars, max } = barGeometry(heating, cooling);
  const plotH = H - PAD.top - PAD.bottom;
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const y = PAD.top + plotH - f * plotH;
    return (
      `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${y}" y2="${y}" stroke="#ddd"/>` +
      `<text x="${PAD.left - 6}" y="${y + 4}" text-anchor="end" font-size="11">${esc(formatNumber(f * max))}</text>`
    );
  });
  const rects = bars.map(
    (b) =>
      `<rect class="plms-bar plms-bar-${b.series}" x="${b.x.toFixed(1)}" y="${b.y.toFixed(1)}" width="${b.width.toFixed(1)}" height="${b.height.toFixed(1)}" ` +
      `fill="${b.series === "heating" ? "#b3411f" : "url(#plms-hatch)"}" stroke="${b.series === "heating" ? "#6e2410" : "#1f4f8f"}">` +
      `<title>${esc(b.month)} ${b.series}: ${esc(formatNumber(b.value))} kWh</title></rect>`,
  );
  const labels = MONTHS.map((m, i) => {
    const x = PAD.left + ((i + 0.5) * (W - PAD.left - PAD.right)) / 12;
    return `<text x="${x.toFixed(1)}" y="${H - PAD.bottom + 16}" text-anchor="middle" font-size="11">${m}</text>`;
  });
  const legend =
    `<g font-size="12" transform="translate(${PAD.left},8)">` +
    `<rect width="14" height="14" fill="#b3411f" stroke="#6e2410"/><text x="20" y="12">Heating (solid)</text>` +
    `<rect x="140" width="14" height="14" fill="url(#plms-hatch)" stroke="#1f4f8f"/><text x="160" y="12">Cooling (hatched)</text>` +
    `</g>`;
  const svg =
    `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-labelledby="plms-chart-title" xmlns="http://www.w3.org/2000/svg">` +
    `<title id="plms-chart-title">Monthly heating and cooling load, kWh</title>` +
    `<defs><pattern id="plms-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">` +
    `<rect width="6" height="6" fill="#dbe7f7"/><line x1="0" y1="0" x2="0" y2="6" stroke="#1f4f8f" stroke-width="2.5"/></pattern></defs>` +
    ticks.join("") +
    `<text x="12" y="${PAD.top + plotH / 2}" font-size="11" transform="rotate(-90 12 ${PAD.top + plotH / 2})" text-anchor="middle">kWh</text>` +
    rects.join("") +
    labels.join("") +
    legend +
    `</svg>`;
  const table =
    `<details><summary>Monthly values (table)</summary><table class="plms-monthly"><thead><tr><th>Month</th><th>Heating (kWh)</th><th>Cooling (kWh)</th></tr></thead><tbody>` +
    MONTHS.map(
      (m, i) => `<tr><td>${m}</td><td>${esc(formatNumber(heating[i] ?? 0))}</td><td>${esc(formatNumber(cooling[i] ?? 0))}</td></tr>`,
    ).join("") +
    `</tbody></table></details>`;
  return `<figure class="plms-chart"><figcaption>Monthly heating and cooling load</figcaption>${svg}${table}</figure>`;
}
