// The echo task's frontend bundle: the platform's integration fixture. Its schema is open
// (the manifest declares no parameters), so the form has no fields of its own and the result
// is the parameters object echoed back as received, with the backend slug.
import { esc } from "../../../../frontend/shared/html";
import type { MountConfig, SimulationOutputEnvelope } from "../../../../frontend/shared/mount";
import { createMount } from "../../../../frontend/shared/task";
import type { EchoOutputs } from "./types";

export type { Mount, MountConfig, MountHelpers, MountHandle } from "../../../../frontend/shared/mount";

export function renderEchoOutputs(envelope: SimulationOutputEnvelope, _config: MountConfig): string {
  const outputs = (envelope.outputs ?? {}) as Partial<EchoOutputs>;
  return (
    `<dl class="plms-kv plms-echo-result">` +
    `<dt>Backend</dt><dd class="plms-echoed-slug">${esc(outputs.echoed_backend_slug ?? "")}</dd>` +
    `<dt>Parameters received</dt><dd><pre class="plms-echoed">${esc(JSON.stringify(outputs.echoed_parameters ?? {}, null, 2))}</pre></dd>` +
    `</dl>`
  );
}

export const mount = createMount({ renderOutputs: renderEchoOutputs, submitLabel: "Echo" });
