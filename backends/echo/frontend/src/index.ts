// The echo task's frontend bundle: a form from its manifest, the echoed result.
import { esc } from "../../../../frontend/shared/html";
import type { MountConfig, SimulationOutputEnvelope } from "../../../../frontend/shared/mount";
import { createMount } from "../../../../frontend/shared/task";
import type { EchoOutputs } from "./types";

export type { Mount, MountConfig, MountHelpers, MountHandle } from "../../../../frontend/shared/mount";

export function renderEchoOutputs(envelope: SimulationOutputEnvelope, _config: MountConfig): string {
  const outputs = (envelope.outputs ?? {}) as Partial<EchoOutputs>;
  return (
    `<dl class="plms-kv plms-echo-result">` +
    `<dt>Echoed message</dt><dd class="plms-echoed">${esc(outputs.echoed ?? "")}</dd>` +
    `<dt>Backend</dt><dd>${esc(outputs.slug ?? "")}</dd>` +
    `<dt>Parameters received</dt><dd><pre>${esc(JSON.stringify(outputs.parameters ?? {}, null, 2))}</pre></dd>` +
    `</dl>`
  );
}

export const mount = createMount({ renderOutputs: renderEchoOutputs, submitLabel: "Echo" });
