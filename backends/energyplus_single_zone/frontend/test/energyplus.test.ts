import assert from "node:assert/strict";
import { test } from "node:test";

import { formHtml } from "../../../../frontend/shared/form";
import type { MountConfig, SimulationOutputEnvelope } from "../../../../frontend/shared/mount";
import { runPanelHtml } from "../../../../frontend/shared/task";
import { barGeometry, monthlyChartHtml, niceMax } from "../src/chart";
import { renderEnergyPlusOutputs, resultCards } from "../src/index";

const heating = [1110.9, 848, 614, 381.8, 153.3, 27.9, 3.4, 13.4, 71.5, 282, 585.4, 1070.3];
const cooling = [134.7, 164.3, 254.5, 297.1, 366.1, 483.5, 722.9, 617.2, 568.2, 402.5, 166.1, 134.4];
const outputs = {
  heating_kwh: 5161.98,
  cooling_kwh: 4311.41,
  latent_cooling_kwh: 190.25,
  peak_heating_kw: 3.9008,
  peak_cooling_kw: 5.8416,
  peak_heating_time: "01-07 08:00",
  peak_cooling_time: "10-30 13:00",
  zone_temperature_min_c: 20,
  zone_temperature_max_c: 27,
  zone_temperature_mean_c: 23.2,
  site_energy_kwh: 11225.39,
  site_eui_kwh_m2: 233.86,
  site_eui_kbtu_ft2: 74.133,
  end_uses_kwh: { heating: 5161.98, cooling: 4501.66, interior_equipment: 1752 },
  monthly_heating_kwh: heating,
  monthly_cooling_kwh: cooling,
  unmet_heating_hours: 0,
  unmet_cooling_hours: 0,
  floor_area_m2: 48,
  weather_station: "Chicago Ohare Intl Ap IL USA TMY3 WMO#=725300",
  energyplus_version: "25.2.0",
  energyplus_warnings: 1,
};
const config: MountConfig = { slug: "energyplus_single_zone", name: "EnergyPlus", version: "0.2.0", parameters: [], outputs: [], lastRun: null };
const env = (extra: Partial<SimulationOutputEnvelope>): SimulationOutputEnvelope => ({
  schema_version: "purelms.output.v1",
  run_id: "u",
  status: "success",
  metrics: null,
  ...extra,
});

test("niceMax rounds up to 1, 2, 2.5 or 5 times a power of ten", () => {
  assert.equal(niceMax(1110.9), 2000);
  assert.equal(niceMax(2100), 2500);
  assert.equal(niceMax(0), 1);
  assert.equal(niceMax(40), 50);
});

test("bars are proportional and stay inside the plot", () => {
  const { bars, max } = barGeometry(heating, cooling);
  assert.equal(bars.length, 24);
  assert.equal(max, 2000);
  const jan = bars.find((b) => b.month === "Jan" && b.series === "heating")!;
  const jul = bars.find((b) => b.month === "Jul" && b.series === "cooling")!;
  assert.ok(Math.abs(jan.height / jul.height - 1110.9 / 722.9) < 1e-9);
  for (const b of bars) assert.ok(b.y >= 0 && b.height >= 0 && b.y + b.height <= 300);
});

test("the chart is readable without colour: patterns, legend words, titles, a table", () => {
  const html = monthlyChartHtml(heating, cooling);
  assert.match(html, /Heating \(solid\)/);
  assert.match(html, /Cooling \(hatched\)/);
  assert.match(html, /url\(#plms-hatch\)/);
  assert.match(html, /<title>Jan heating: 1,111 kWh<\/title>/);
  assert.equal((html.match(/<tr><td>/g) ?? []).length, 12);
});

test("result cards: heating, sensible cooling with its latent part, EUI, hourly peaks, temperatures", () => {
  const keys = resultCards(outputs).map((c) => c.key);
  assert.deepEqual(keys, ["heating", "cooling", "eui", "peak_heating", "peak_cooling", "zone_temperature", "unmet"]);
  const html = renderEnergyPlusOutputs(env({ outputs }), config);
  assert.match(html, /data-card="heating".*5,162 <small>kWh/);
  assert.match(html, /hour ending 01-07 08:00/);
  assert.match(html, /plus 190 kWh latent/);
  assert.match(html, /hourly min 20 °C · max 27 °C/);
  assert.match(html, /234 <small>kWh\/m²<\/small>.*74\.1 kBtu\/ft²/);
});

test("a success panel shows cards, the chart and the run's warnings", () => {
  const html = runPanelHtml(
    { run_id: "r", status: "success", progress: null, messages: [] },
    env({ outputs, messages: [{ level: "warning", code: "ENERGYPLUS.WARNING", text: "ground temperatures" }] }),
    config,
    { renderOutputs: renderEnergyPlusOutputs },
  );
  assert.match(html, /plms-cards/);
  assert.match(html, /<svg/);
  assert.match(html, /<strong>Warning<\/strong> <code>ENERGYPLUS.WARNING<\/code>/);
});

test("a failed run shows its error and no result cards", () => {
  const html = runPanelHtml(
    { run_id: "r", status: "failed_runtime", progress: null, messages: [] },
    env({ status: "failed_runtime", messages: [{ level: "error", code: "PARAMS.INVALID", text: "window too big" }] }),
    config,
    { renderOutputs: renderEnergyPlusOutputs },
  );
  assert.match(html, /Run failed/);
  assert.match(html, /PARAMS\.INVALID/);
  assert.doesNotMatch(html, /plms-cards/);
});

test("the climate chooser hides 'custom' (it needs an uploaded EPW)", () => {
  const html = formHtml(
    [{ name: "climate", type: "choice", choices: ["chicago", "tampa", "custom"], default: "chicago" }],
    { climate: "chicago" },
    { hiddenChoices: { climate: ["custom"] } },
  );
  assert.match(html, /<option value="tampa">/);
  assert.doesNotMatch(html, /custom/);
});
