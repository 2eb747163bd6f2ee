// The energyplus_single_zone task's frontend bundle: the parameter form in groups with units,
// ranges and the rules between parameters (./form), progress, result cards with units, the
// monthly heating and cooling chart, energy by end use and, when the host reports it, the
// outcome (goal reached, score).
import { type Escape, formatNumber, withUnit } from "../../../../frontend/shared/html";
import { TASK } from "../../../../frontend/shared/layer1";
import { MOUNT_CONTRACT, type ResultContext, createMount } from "../../../../frontend/shared/mount";
import type { Formats, Notes } from "../../../../frontend/shared/results";
import { monthlyChartHtml } from "./chart";
import { GROUPS, TEXT, energyPlusLimits } from "./form";
import type { EnergyPlusOutputs } from "./outputs";

export type { Mount, MountConfig, MountHelpers, MountHandle } from "../../../../frontend/shared/contract";

const MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** `MM-DD HH:00` (the backend's hour of a peak) as `7 Jan, 08:00`; anything else as it is. */
export function peakTime(text: unknown): string {
  if (typeof text !== "string") return "";
  const match = /^(\d\d)-(\d\d) (\d\d:\d\d)$/.exec(text);
  const month = match ? MONTH_NAMES[Number(match[1]) - 1] : undefined;
  return match && month ? `${Number(match[2])} ${month}, ${match[3]}` : text;
}

type Outputs = Partial<EnergyPlusOutputs>;
const as = (outputs: Record<string, unknown>): Outputs => outputs as Outputs;

export const NOTES: Notes = {
  cooling_kwh: (o) => {
    const latent = as(o).latent_cooling_kwh;
    return typeof latent === "number" && latent > 0 ? `plus ${formatNumber(latent)} kWh to dry the air (latent)` : "";
  },
  peak_heating_kw: (o) => (as(o).peak_heating_time ? `in the hour ending ${peakTime(as(o).peak_heating_time)}` : "no heating needed"),
  peak_cooling_kw: (o) => (as(o).peak_cooling_time ? `in the hour ending ${peakTime(as(o).peak_cooling_time)}` : "no cooling needed"),
  site_eui_kwh_m2: (o) =>
    `${withUnit(as(o).site_energy_kwh, "kWh")} in total over ${withUnit(as(o).floor_area_m2, "m2")} of floor`,
  energyplus_warnings: () => "The simulation engine's warnings are listed below the results.",
};

export const FORMATS: Formats = {
  peak_heating_time: (v) => peakTime(v) || "no heating",
  peak_cooling_time: (v) => peakTime(v) || "no cooling",
};

function endUsesHtml(o: Outputs, esc: Escape): string {
  const entries = Object.entries(o.end_uses_kwh ?? {}).filter(([, v]) => typeof v === "number");
  if (!entries.length) return "";
  const words: Record<string, string> = { interior_equipment: "people and equipment" };
  return (
    `<table class="plms-table plms-enduses"><caption>Energy by end use</caption><tbody>` +
    entries
      .map(([k, v]) => `<tr><th scope="row">${esc(words[k] ?? k.replace(/_/g, " "))}</th><td>${esc(withUnit(v, "kWh"))}</td></tr>`)
      .join("") +
    `</tbody></table>`
  );
}

/** The chart, energy by end use and where the numbers come from. */
export function renderEnergyPlusExtra({ esc, outputs, uid }: ResultContext): string {
  const o = as(outputs);
  return (
    monthlyChartHtml(o.monthly_heating_kwh, o.monthly_cooling_kwh, esc, uid) +
    endUsesHtml(o, esc) +
    `<p class="plms-provenance"><small>Weather: ${esc(o.weather_station ?? "–")} · simulated by EnergyPlus ${esc(o.energyplus_version ?? "–")}</small></p>`
  );
}

export const mount = createMount({
  task: TASK,
  form: {
    groups: GROUPS,
    text: TEXT,
    // "custom" needs a weather file, which a submission (parameters only) cannot carry.
    hiddenChoices: { climate: ["custom"] },
    wide: ["climate"],
  },
  limits: energyPlusLimits,
  notes: NOTES,
  formats: FORMATS,
  outputLabels: {
    peak_heating_time: "Hour of peak heating (the hour ending at)",
    peak_cooling_time: "Hour of peak cooling (the hour ending at)",
    site_eui_kwh_m2: "Energy use per m² of floor (site EUI)",
    site_eui_kbtu_ft2: "Energy use per ft² of floor (site EUI)",
    energyplus_warnings: "Simulation engine warnings",
  },
  renderExtra: renderEnergyPlusExtra,
  intro: "Change the building, then run a full year of simulated weather to see how much heating and cooling it needs.",
});
export const mountContract = MOUNT_CONTRACT;
export default mount;
