// How the energyplus_single_zone form reads to a student: the parameters in groups, wording
// for learners where the manifest's speaks to developers, and the rules between parameters
// that the backend's model enforces (backend/src/purelms_energyplus_single_zone/
// _parameters.py), applied while the student types so that a run is never refused for them:
//
// * the glass of a facade may take at most 90 % of its length (MAX_GLAZED_FRACTION): the
//   window areas' maximum follows the length or width and the window height;
// * the sill plus the window height must fit below the roof;
// * each cooling setpoint is at least 1 K (MIN_DEADBAND_K) above its heating setpoint;
// * a night period lasts at least one hour when it is switched on;
// * inputs that a switch makes meaningless are disabled while it is off (night setback and
//   night ventilation hours and setpoints, U-factor and SHGC unless that glazing is chosen,
//   setpoints and capacities the chosen heating and cooling mode does not use).
import type { FieldGroup, FieldText, LimitsByName, Limits, Values } from "../../../../frontend/shared/form";
import { formatNumber } from "../../../../frontend/shared/html";

export const MAX_GLAZED_FRACTION = 0.9;
export const MIN_DEADBAND_K = 1;

export const GROUPS: FieldGroup[] = [
  { title: "Place and climate", names: ["climate", "terrain", "orientation_deg"] },
  { title: "Size of the building", names: ["length_m", "width_m", "height_m"] },
  {
    title: "Windows",
    names: [
      "window_area_south_m2",
      "window_area_east_m2",
      "window_area_north_m2",
      "window_area_west_m2",
      "window_height_m",
      "window_sill_height_m",
      "glazing",
      "window_u_w_m2k",
      "window_shgc",
    ],
  },
  { title: "Walls, roof and floor", names: ["wall_u_w_m2k", "roof_u_w_m2k", "floor_u_w_m2k", "construction"] },
  { title: "Heating and cooling", names: ["hvac", "heating_setpoint_c", "cooling_setpoint_c"] },
  { title: "People, equipment and air leaks", names: ["internal_gains_w", "infiltration_ach"], open: false },
  { title: "Shading", names: ["overhang_depth_m", "fin_depth_m"], open: false },
  {
    title: "Night setback",
    names: ["night_setback", "night_heating_setpoint_c", "night_cooling_setpoint_c", "night_start_hour", "night_end_hour"],
    open: false,
  },
  {
    title: "Night ventilation",
    names: ["night_ventilation", "night_ventilation_m3_h", "night_ventilation_start_hour", "night_ventilation_end_hour"],
    open: false,
  },
  { title: "Size of the heating and cooling", names: ["heating_capacity_kw", "cooling_capacity_kw"], open: false },
];

export const TEXT: Record<string, FieldText> = {
  climate: { description: "Typical-year weather (TMY3) of the chosen place." },
  terrain: { description: "How open the land around the building is; it sets how strong the wind is." },
  orientation_deg: {
    label: "Orientation (turned clockwise)",
    description: "0 = the south facade faces south; at 90 it faces west.",
  },
  window_height_m: { description: "The height of every window." },
  window_sill_height_m: { label: "Window sill height (above the floor)", description: "" },
  glazing: {
    description: "Clear double pane: the standard test window. U-factor and SHGC: describe any window by those two numbers.",
  },
  window_u_w_m2k: { label: "Window U-factor", description: "Heat lost through the window per m² and per degree of difference." },
  window_shgc: { label: "Window solar heat gain coefficient (SHGC)", description: "The share of the sun's heat the window lets in." },
  overhang_depth_m: { description: "A horizontal shade at roof level over every facade with windows (0 = none)." },
  fin_depth_m: { description: "Vertical shades beside every window, full wall height (0 = none)." },
  wall_u_w_m2k: { description: "Lower is better insulated." },
  roof_u_w_m2k: { description: "Lower is better insulated." },
  floor_u_w_m2k: { description: "Lower is better insulated." },
  construction: {
    description: "Light: timber frame. Heavy: concrete walls and floor, which store heat and even out the temperature.",
  },
  internal_gains_w: { label: "Heat from people and equipment", description: "Constant, day and night." },
  infiltration_ach: { label: "Air leaks (air changes per hour)", description: "How often the outdoor air replaces the indoor air through leaks." },
  hvac: { description: "Which heating and cooling run; with free float there is none and the temperature drifts." },
  night_setback: { label: "Night setback (lower heating setpoint at night)" },
  night_ventilation: { label: "Night ventilation (a fan blows outdoor air through)", description: "Cooling is off while it runs." },
  night_ventilation_m3_h: { description: "On top of the air leaks." },
  heating_capacity_kw: { description: "The most heat the heating can give; with a limit, hours below the setpoint can occur." },
  cooling_capacity_kw: { description: "The most heat the cooling can remove; with a limit, hours above the setpoint can occur." },
};

/** A value rounded down to a multiple of `step` (so that the backend's check passes). */
export function floorTo(value: number, step: number): number {
  return Number((Math.floor(value / step + 1e-9) * step).toFixed(6));
}

function number(values: Values, name: string): number | undefined {
  const v = values[name];
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

const FACADES = [
  ["south", "length_m", "length"],
  ["north", "length_m", "length"],
  ["east", "width_m", "width"],
  ["west", "width_m", "width"],
] as const;

function add(limits: LimitsByName, name: string, extra: Limits): void {
  const merged = { ...limits[name], ...extra };
  if (limits[name]?.note && extra.note && !extra.disabled) merged.note = `${limits[name]?.note} ${extra.note}`;
  limits[name] = merged;
}

/** The rules between parameters, as limits on each field (see the module comment). */
export function energyPlusLimits(values: Values): LimitsByName {
  const limits: LimitsByName = {};
  const height = number(values, "height_m");
  const sill = number(values, "window_sill_height_m");
  const windowHeight = number(values, "window_height_m");
  if (height !== undefined && sill !== undefined) {
    add(limits, "window_height_m", {
      max: floorTo(height - sill, 0.05),
      note: `The sill (${formatNumber(sill)} m) plus the window must fit below the ${formatNumber(height)} m roof.`,
    });
  }
  if (height !== undefined && windowHeight !== undefined) {
    add(limits, "window_sill_height_m", { max: Math.max(0, floorTo(height - windowHeight, 0.05)) });
  }
  for (const [facade, spanName, spanWord] of FACADES) {
    const span = number(values, spanName);
    if (span === undefined || windowHeight === undefined) continue;
    add(limits, `window_area_${facade}_m2`, {
      max: floorTo(MAX_GLAZED_FRACTION * span * windowHeight, 0.1),
      note: `Windows may take up to 90 % of the facade's ${formatNumber(span)} m ${spanWord} at ${formatNumber(windowHeight)} m high.`,
    });
  }
  const heating = number(values, "heating_setpoint_c");
  if (heating !== undefined) {
    add(limits, "cooling_setpoint_c", { min: heating + MIN_DEADBAND_K, note: "At least 1 °C above the heating setpoint." });
  }
  const nightHeating = number(values, "night_heating_setpoint_c");
  if (nightHeating !== undefined) {
    add(limits, "night_cooling_setpoint_c", {
      min: nightHeating + MIN_DEADBAND_K,
      note: "At least 1 °C above the night heating setpoint.",
    });
  }
  const off = (names: string[], note: string): void => {
    for (const name of names) add(limits, name, { disabled: true, note });
  };
  if (values["glazing"] !== "simple") off(["window_u_w_m2k", "window_shgc"], "Used only with “U-factor and SHGC” glazing.");
  const hvac = values["hvac"];
  if (hvac === "free_float") {
    off(["heating_setpoint_c", "cooling_setpoint_c", "heating_capacity_kw", "cooling_capacity_kw"], "Not used in free float.");
  } else if (hvac === "heating_only") {
    off(["cooling_setpoint_c", "cooling_capacity_kw"], "Not used with heating only.");
  } else if (hvac === "cooling_only") {
    off(["heating_setpoint_c", "heating_capacity_kw"], "Not used with cooling only.");
  }
  if (values["night_setback"] !== true) {
    off(["night_heating_setpoint_c", "night_cooling_setpoint_c", "night_start_hour", "night_end_hour"], "Used only with night setback on.");
  } else if (values["night_start_hour"] === values["night_end_hour"]) {
    add(limits, "night_end_hour", { error: "The setback would last zero hours: choose an end hour other than the start hour." });
  }
  if (values["night_ventilation"] !== true) {
    off(
      ["night_ventilation_m3_h", "night_ventilation_start_hour", "night_ventilation_end_hour"],
      "Used only with night ventilation on.",
    );
  } else if (values["night_ventilation_start_hour"] === values["night_ventilation_end_hour"]) {
    add(limits, "night_ventilation_end_hour", {
      error: "The ventilation would run zero hours: choose an end hour other than the start hour.",
    });
  }
  return limits;
}
