// The purelms.*.v1 wire types the mount contract is typed with.
//
// One switch point: today they come from the echo bundle's hand-written types.ts (which
// `nox -s wire_sync` checks against the JSON Schema). When the generated module lands
// (packages/purelms-shared/typescript/purelms-wire.ts), re-export from there instead and
// nothing else in the bundles changes.
export type {
  Message,
  MessageLevel,
  OutputArtifact,
  OutputStatus,
  ProgressCallback,
  RunStatus,
  SimulationOutputEnvelope,
} from "../../backends/echo/frontend/src/types";
