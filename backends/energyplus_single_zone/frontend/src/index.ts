// The energyplus_single_zone task's frontend bundle: a form from its manifest (sliders within
// the allowed ranges, a climate chooser), result cards, a monthly chart, the run's messages.
import { esc, formatNumber } from "../../../../frontend/shared/html";
import type { MountConfig, SimulationOutputEnvelope } from "../../../../frontend/shared/mount";
import { createMount } from "../../../../frontend/shared/task";
import { monthlyChartHtml } from "./chart";
import type { EnergyPlusOutputs } from "./outputs";

export type { Mount, MountConfig, MountHelpers, MountHandle } from "../../../../frontend/shared/mount";

interface Card {
  key: string;
  label: string;
  value: unknown;
  unit: string;
  note?: string;
}

function card(c: Card): string {
  return (
    `<div class="plms-card" data-card="${esc(c.key)}"><div class="plms-card-label">${esc(c.label)}</div>` +
    `<div class="plms-card-value">${esc(formatNumber(c.value))} <small>${esc(c.unit)}</small></div>` +
    (c.note ? `<div class="plms-card-note">${esc(c.note)}</div>` : "") +
    `</div>`
  );
}

export function resultCards(o: Partial<EnergyPlusOutputs>): Card[] {
  return [
    { key: "heating", label: "Annual heating load", value: o.heating_kwh, unit: "kWh" },
    {
      key: "cooling",
      label: "Annual cooling load (sensible)",
      value: o.cooling_kwh,
      unit: "kWh",
      note: o.latent_cooling_kwh ? `plus ${formatNumber(o.latent_cooling_kwh)} kWh latent (dehumidification)` : "",
    },
    {
      key: "eui",
      label: "Site energy use intensity",
      value: o.site_eui_kwh_m2,
      unit: "kWh/m²",
      note: `${formatNumber(o.site_eui_kbtu_ft2)} kBtu/ft² · ${formatNumber(o.site_energy_kwh)} kWh total over ${formatNumber(o.floor_area_m2)} m²`,
    },
    {
      key: "peak_heating",
      label: "Peak heating load (hourly)",
      value: o.peak_heating_kw,
      unit: "kW",
      note: o.peak_heating_time ? `hour ending ${o.peak_heating_time}` : "",
    },
    {
      key: "peak_cooling",
      label: "Peak cooling load (hourly, sensible)",
      value: o.peak_cooling_kw,
      unit: "kW",
      note: o.peak_cooling_time ? `hour ending ${o.peak_cooling_time}` : "",
    },
    {
      key: "zone_temperature",
      label: "Zone air temperature (mean)",
      value: o.zone_temperature_mean_c,
      unit: "°C",
      note: `hourly min ${formatNumber(o.zone_temperature_min_c)} °C · max ${formatNumber(o.zone_temperature_max_c)} °C`,
    },
    {
      key: "unmet",
      label: "Setpoint not met",
      value: (o.unmet_heating_hours ?? 0) + (o.unmet_cooling_hours ?? 0),
      unit: "h",
      note: `heating ${formatNumber(o.unmet_heating_hours)} h · cooling ${formatNumber(o.unmet_cooling_hours)} h`,
    },
  ];
}

export function renderEnergyPlusOutputs(envelope: SimulationOutputEnvelope, _config: MountConfig): string {
  const o = (envelope.outputs ?? {}) as Partial<EnergyPlusOutputs>;
  const endUses = Object.entries(o.end_uses_kwh ?? {})
    .map(([k, v]) => `<li>${esc(k.replace(/_/g, " "))}: ${esc(formatNumber(v))} kWh</li>`)
    .join("");
  return (
    `<div class="plms-cards">${resultCards(o).map(card).join("")}</div>` +
    monthlyChartHtml(o.monthly_heating_kwh ?? [], o.monthly_cooling_kwh ?? []) +
    (endUses ? `<h4>Site energy by end use</h4><ul class="plms-enduses">${endUses}</ul>` : "") +
    `<p class="plms-provenance">Weather: ${esc(o.weather_station ?? "?")} · EnergyPlus ${esc(o.energyplus_version ?? "?")} · ` +
    `${esc(formatNumber(o.energyplus_warnings ?? 0))} engine warning(s)</p>`
  );
}

export const mount = createMount({
  renderOutputs: renderEnergyPlusOutputs,
  // A custom climate needs an uploaded EPW file, which this form cannot send.
  form: { hiddenChoices: { climate: ["custom"] } },
});
