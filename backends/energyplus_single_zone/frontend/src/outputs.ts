// The energyplus_single_zone outputs this bundle reads (mirrors interactive_task.yaml's
// `outputs`). Kept apart from src/types.ts, which the wire-sync tooling owns.
export interface EnergyPlusOutputs {
  heating_kwh: number;
  cooling_kwh: number;
  latent_cooling_kwh: number;
  peak_heating_kw: number;
  peak_cooling_kw: number;
  peak_heating_time: string;
  peak_cooling_time: string;
  zone_temperature_min_c: number;
  zone_temperature_max_c: number;
  zone_temperature_mean_c: number;
  site_energy_kwh: number;
  site_eui_kwh_m2: number;
  site_eui_kbtu_ft2: number;
  end_uses_kwh: { [name: string]: number };
  monthly_heating_kwh: number[];
  monthly_cooling_kwh: number[];
  unmet_heating_hours: number;
  unmet_cooling_hours: number;
  floor_area_m2: number;
  weather_station: string;
  energyplus_version: string;
  energyplus_warnings: number;
}
