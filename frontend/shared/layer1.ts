// Layer 1 as the bundle carries it: the task's manifest (interactive_task.yaml), read by the
// bundle's build.mjs and compiled in as the constant __PURELMS_TASK__ (esbuild `define`), so
// a bundle knows its labels, units, ranges, choices, outputs and progress reporting without
// asking anyone, and works with `config = {}`. The same constant is compiled into the
// bundle's unit tests, which therefore read parameters and outputs from the manifest.
import type { LmsOutcomes, ProgressReporting, TaskOutput, TaskParameter } from "./wire";

export interface TaskMetadata {
  slug: string;
  name: string;
  version: string;
  /** `frontend.bundle`: the file name in frontend/dist/. */
  bundle: string;
  progress_reporting: ProgressReporting;
  parameters: TaskParameter[];
  outputs: TaskOutput[];
  lms_outcomes: LmsOutcomes;
}

declare const __PURELMS_TASK__: TaskMetadata;

/** This bundle's Layer 1 metadata, as its build read it from the manifest. */
export const TASK: TaskMetadata = __PURELMS_TASK__;
