// The echo task's frontend bundle: the platform's integration fixture. Its schema is open
// (the manifest declares no parameters), so the form is one JSON object sent as written; the
// result is that object echoed back as the backend received it, with the backend slug.
import { MOUNT_CONTRACT, type ResultContext, createMount } from "../../../../frontend/shared/mount";
import { TASK } from "../../../../frontend/shared/layer1";
import type { EchoOutputs } from "./types";

export type { Mount, MountConfig, MountHelpers, MountHandle } from "../../../../frontend/shared/contract";

/** The parameters object the backend received (an undeclared output), pretty-printed. */
export function renderEchoed({ esc, outputs }: ResultContext): string {
  const echoed = (outputs as Partial<EchoOutputs>).echoed_parameters ?? {};
  return (
    `<h4>Parameters the backend received</h4>` +
    `<pre class="plms-echoed" data-output="echoed_parameters">${esc(JSON.stringify(echoed, null, 2))}</pre>`
  );
}

export const mount = createMount({ task: TASK, renderExtra: renderEchoed, submitLabel: "Echo" });
export const mountContract = MOUNT_CONTRACT;
export default mount;
