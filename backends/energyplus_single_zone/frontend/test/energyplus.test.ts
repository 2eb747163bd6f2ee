// The energyplus_single_zone bundle without a DOM: its compiled manifest, the rules between
// parameters (against the backend's own limits), the chart, the cards and notes.
import assert from "node:assert/strict";
import { test } from "node:test";

import { collectSubmission, defaultValues, effectiveFields, formHtml } from "../../../../frontend/shared/form";
import { escapeHtml } from "../../../../frontend/shared/html";
import { TASK } from "../../../../frontend/shared/layer1";
import { effectiveOutputs, resultsHtml } from "../../../../frontend/shared/results";
import { barGeometry, monthlyChartHtml, niceMax } from "../src/chart";
import { GROUPS, TEXT, energyPlusLimits, floorTo } from "../src/form";
import defaultMount, { FORMATS, NOTES, mount, mountContract, peakTime, renderEnergyPlusExtra } from "../src/index";

const heating = [1110.9, 848, 614, 381.8, 153.3, 27.9, 3.4, 13.4, 71.5, 282, 585.4, 1070.3];
const cooling = [134.7, 164.3, 254.5, 297.1, 366.1, 483.5, 722.9, 617.2, 568.2, 402.5, 166.1, 134.4];
const outputs = {
  heating_kwh: 5161.98,
  cooling_kwh: 4311.41,
  latent_cooling_kwh: 190.25,
  peak_heating_kw: 3.9008,
  peak_cooling_kw: 5.8416,
  peak_heating_time: "01-07 08:00",
  peak_cooling_time: "",
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
  weather_station: "Chicago <Ohare> Intl Ap IL USA TMY3 WMO#=725300",
  energyplus_version: "25.2.0",
  energyplus_warnings: 1,
};
const fields = effectiveFields(TASK.parameters, undefined, { hiddenChoices: { climate: ["custom"] }, text: TEXT });

test("the bundle exports mount (named and default) and the v1 mount contract", () => {
  assert.equal(typeof mount, "function");
  assert.equal(defaultMount, mount);
  assert.equal(mountContract, "purelms.interactive_mount.v1");
});

test("the manifest is compiled in: every parameter, output, the progress reporting", () => {
  assert.equal(TASK.slug, "energyplus_single_zone");
  assert.equal(TASK.bundle, "energyplus_single_zone.js");
  assert.equal(TASK.progress_reporting, "percentage");
  assert.ok(TASK.parameters.length > 30);
  assert.ok(TASK.outputs.some((o) => o.name === "heating_kwh" && o.unit === "kWh"));
});

test("every parameter is in exactly one group", () => {
  const grouped = GROUPS.flatMap((g) => g.names);
  assert.deepEqual([...grouped].sort(), TASK.parameters.map((p) => p.name).sort());
  assert.equal(new Set(grouped).size, grouped.length);
  for (const name of Object.keys(TEXT)) assert.ok(TASK.parameters.some((p) => p.name === name), name);
});

test("the climates have human names and 'custom' (it needs a weather file) is not offered", () => {
  const climate = fields.find((f) => f.name === "climate");
  assert.ok(climate);
  assert.ok(!climate.choices.some((c) => c.value === "custom"));
  assert.ok(climate.choices.every((c) => c.label !== c.value && /[A-Z]/.test(c.label)));
  assert.doesNotMatch(climate.description, /custom/);
});

test("the defaults pass every rule between parameters", () => {
  const values = defaultValues(fields);
  const raw = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === "boolean" ? v : String(v)]));
  const { parameters, errors } = collectSubmission(fields, raw, energyPlusLimits(values));
  assert.deepEqual(errors, {});
  assert.equal(parameters["window_area_south_m2"], 12);
});

test("a window's area is limited to 90 % of its facade, following length and window height", () => {
  const values = { ...defaultValues(fields) };
  assert.equal(energyPlusLimits(values)["window_area_south_m2"]?.max, 14.4); // 0.9 x 8 m x 2 m
  assert.equal(energyPlusLimits(values)["window_area_east_m2"]?.max, 10.8); // 0.9 x 6 m x 2 m
  assert.equal(energyPlusLimits({ ...values, length_m: 4.5 })["window_area_south_m2"]?.max, 8.1);
  assert.equal(energyPlusLimits({ ...values, window_height_m: 1.5 })["window_area_north_m2"]?.max, 10.8);
  assert.match(energyPlusLimits(values)["window_area_south_m2"]?.note ?? "", /90 % of the facade's 8 m length at 2 m high/);
  const raw = { window_area_south_m2: "100" };
  const { errors } = collectSubmission(fields, raw, energyPlusLimits(values));
  assert.match(errors["window_area_south_m2"] ?? "", /^Must be at most 14\.4 m² \(Windows may take up to 90 %/);
  assert.doesNotMatch(errors["window_area_south_m2"] ?? "", /value error/i);
});

test("the window must fit below the roof; cooling stays 1 °C above heating", () => {
  const values = defaultValues(fields);
  assert.equal(energyPlusLimits(values)["window_height_m"]?.max, 2.5); // 2.7 m - 0.2 m sill
  assert.equal(energyPlusLimits({ ...values, heating_setpoint_c: 24 })["cooling_setpoint_c"]?.min, 25);
  assert.equal(floorTo(14.400000000000002, 0.1), 14.4);
  assert.equal(floorTo(0.9 * 7.3 * 2, 0.1), 13.1);
});

test("inputs a switch makes meaningless are disabled while it is off", () => {
  const values = defaultValues(fields);
  const off = energyPlusLimits(values);
  for (const name of ["night_heating_setpoint_c", "night_cooling_setpoint_c", "night_start_hour", "night_end_hour"]) {
    assert.equal(off[name]?.disabled, true, name);
    assert.equal(off[name]?.note, "Used only with night setback on.");
  }
  for (const name of ["night_ventilation_m3_h", "night_ventilation_start_hour", "window_u_w_m2k", "window_shgc"]) {
    assert.equal(off[name]?.disabled, true, name);
  }
  const on = energyPlusLimits({ ...values, night_setback: true, glazing: "simple", night_ventilation: true });
  for (const name of ["night_heating_setpoint_c", "night_end_hour", "window_shgc", "night_ventilation_m3_h"]) {
    assert.notEqual(on[name]?.disabled, true, name);
  }
  assert.equal(energyPlusLimits({ ...values, hvac: "heating_only" })["cooling_setpoint_c"]?.disabled, true);
  assert.equal(energyPlusLimits({ ...values, hvac: "free_float" })["heating_setpoint_c"]?.disabled, true);
  const zero = energyPlusLimits({ ...values, night_setback: true, night_start_hour: 5, night_end_hour: 5 });
  assert.match(zero["night_end_hour"]?.error ?? "", /zero hours/);
});

test("the form has one named control per parameter, in groups, with learner units", () => {
  const html = formHtml(
    fields,
    defaultValues(fields),
    escapeHtml,
    (n) => `x-${n}`,
    { groups: GROUPS, wide: ["climate"] },
    energyPlusLimits(defaultValues(fields)),
  );
  assert.match(html, /class="plms-field plms-wide" data-field="climate"/);
  for (const p of TASK.parameters) assert.match(html, new RegExp(`name="${p.name}"`), p.name);
  assert.match(html, /Window area, south facade <span class="plms-unit">\(m²\)<\/span>/);
  assert.match(html, /Wall U-value <span class="plms-unit">\(W\/\(m²·K\)\)<\/span>/);
  assert.match(html, /0 to 14\.4 m²/);
  assert.match(html, /name="night_start_hour" data-role="value" inputmode="decimal" value="23" min="0" max="23" step="1" disabled/);
  assert.doesNotMatch(html, /m2\)|degC/);
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

test("the chart is readable without colour and its ids are the mount's own", () => {
  const html = monthlyChartHtml(heating, cooling, escapeHtml, "m7");
  assert.match(html, /Heating \(solid\)/);
  assert.match(html, /Cooling \(hatched\)/);
  assert.match(html, /url\(#m7-hatch\)/);
  assert.match(html, /<title>Jan heating: 1,111 kWh<\/title>/);
  assert.equal((html.match(/<tr><td>/g) ?? []).length, 12);
  assert.equal(monthlyChartHtml(undefined, "nope", escapeHtml, "m7"), "");
});

test("result cards with units and notes; peak hours read as dates; strings escaped", () => {
  const views = effectiveOutputs(TASK.outputs, undefined);
  const html = resultsHtml(outputs, views, escapeHtml, NOTES, FORMATS);
  assert.match(html, /data-output="heating_kwh".*5,162 <small class="plms-unit">kWh<\/small>/);
  assert.match(html, /plus 190 kWh to dry the air/);
  assert.match(html, /in the hour ending 7 Jan, 08:00/);
  assert.match(html, /no cooling/);
  assert.match(html, /11,225 kWh in total over 48 m² of floor/);
  assert.match(html, /Chicago &lt;Ohare&gt;/);
  const extra = renderEnergyPlusExtra({ esc: escapeHtml, outputs, views, uid: "u1" });
  assert.match(extra, /<svg/);
  assert.match(extra, /people and equipment/);
  assert.equal(peakTime("12-31 24:00"), "31 Dec, 24:00");
});
