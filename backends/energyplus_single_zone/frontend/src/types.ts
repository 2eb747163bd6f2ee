// purelms-shared contract: 0.8.0 sha256:267928a989671574
//
// Types for the energyplus_single_zone frontend bundle.
//
// EnergyPlusParameters mirrors the `parameters` of backends/energyplus_single_zone/
// interactive_task.yaml (generated from the backend's pydantic models); EnergyPlusOutputs
// lives in ./outputs and mirrors its `outputs`. `nox -s wire_sync` proves both identical to
// the manifest (and `nox -s wire_sync -- --write` regenerates EnergyPlusParameters). The
// wire types between the purelms-wire markers are copied from the generated
// purelms-wire.ts: the BEGIN line names the types this bundle reads, and
// `nox -s lockstep_bump` rewrites the block and the contract line above.

export type { EnergyPlusOutputs } from "./outputs";

export interface EnergyPlusParameters {
  /** Climate */
  climate?: "chicago" | "golden" | "san_francisco" | "tampa" | "washington_dulles" | "custom";
  /** Terrain around the building */
  terrain?: "country" | "suburbs" | "city";
  /** Length (south and north facades) [m] */
  length_m?: number;
  /** Width (east and west facades) [m] */
  width_m?: number;
  /** Height [m] */
  height_m?: number;
  /** Orientation (clockwise rotation) [deg] */
  orientation_deg?: number;
  /** Window sill height above the floor [m] */
  window_sill_height_m?: number;
  /** Window height [m] */
  window_height_m?: number;
  /** Window area, south facade [m2] */
  window_area_south_m2?: number;
  /** Window area, east facade [m2] */
  window_area_east_m2?: number;
  /** Window area, north facade [m2] */
  window_area_north_m2?: number;
  /** Window area, west facade [m2] */
  window_area_west_m2?: number;
  /** Glazing */
  glazing?: "clear_double" | "simple";
  /** Window U-factor (simple glazing) [W/(m2.K)] */
  window_u_w_m2k?: number;
  /** Window solar heat gain coefficient (simple glazing) [1] */
  window_shgc?: number;
  /** Overhang depth [m] */
  overhang_depth_m?: number;
  /** Side fin depth [m] */
  fin_depth_m?: number;
  /** Wall U-value [W/(m2.K)] */
  wall_u_w_m2k?: number;
  /** Roof U-value [W/(m2.K)] */
  roof_u_w_m2k?: number;
  /** Floor U-value (to the ground) [W/(m2.K)] */
  floor_u_w_m2k?: number;
  /** Thermal mass */
  construction?: "light" | "heavy";
  /** Internal gains (constant, sensible) [W] */
  internal_gains_w?: number;
  /** Infiltration [1/h] */
  infiltration_ach?: number;
  /** Heating and cooling */
  hvac?: "heating_and_cooling" | "heating_only" | "cooling_only" | "free_float";
  /** Heating setpoint [degC] */
  heating_setpoint_c?: number;
  /** Cooling setpoint [degC] */
  cooling_setpoint_c?: number;
  /** Night setback */
  night_setback?: boolean;
  /** Night heating setpoint [degC] */
  night_heating_setpoint_c?: number;
  /** Night cooling setpoint [degC] */
  night_cooling_setpoint_c?: number;
  /** Night setback starts at [h] */
  night_start_hour?: number;
  /** Night setback ends at [h] */
  night_end_hour?: number;
  /** Night ventilation */
  night_ventilation?: boolean;
  /** Night ventilation air flow [m3/h] */
  night_ventilation_m3_h?: number;
  /** Night ventilation starts at [h] */
  night_ventilation_start_hour?: number;
  /** Night ventilation ends at [h] */
  night_ventilation_end_hour?: number;
  /** Heating capacity (0 = unlimited) [kW] */
  heating_capacity_kw?: number;
  /** Cooling capacity (0 = unlimited) [kW] */
  cooling_capacity_kw?: number;
}

// BEGIN purelms-wire: RunStatus SimulationOutputEnvelope ProgressCallback InputFileRole
// Copied from purelms-wire.ts (purelms-shared) with every type they use; rewritten by
// `nox -s lockstep_bump` and `nox -s wire_sync -- --write`. Do not edit by hand.

/**
 * What a backend hands back. Every domain outcome, failures included, is one of these.
 */
export interface SimulationOutputEnvelope {
  schema_version?: "purelms.output.v1";
  run_id: string;
  status: OutputStatus;
  outputs?: {
    [k: string]: JsonValue;
  };
  artifacts?: OutputArtifact[];
  messages?: Message[];
  metrics?: {
    [k: string]: number;
  } | null;
  runtime_seconds?: number;
}

export interface ProgressCallback {
  progress_pct: number;
  step?: string;
  elapsed_seconds?: number | null;
}

export type InputFileRole = "template" | "weather" | "resource" | "evidence_reference";

export type JsonValue = unknown;

export interface Message {
  level: MessageLevel;
  code?: string;
  text: string;
}

export type MessageLevel = "debug" | "info" | "warning" | "error";

export interface OutputArtifact {
  filename: string;
  mime_type: string;
  uri: string;
  sha256: string;
  size_bytes: number;
  label?: string;
}

/**
 * The terminal values of :class:`RunStatus`: what an output envelope can report.
 */
export type OutputStatus =
  "success" | "failed_simulation" | "failed_runtime" | "cancelled" | "timed_out";

export type RunStatus =
  | "pending"
  | "dispatched"
  | "running"
  | "success"
  | "failed_simulation"
  | "failed_runtime"
  | "cancelled"
  | "timed_out";

// END purelms-wire
