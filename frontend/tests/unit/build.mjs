// Compiles every *.test.ts here (with the frontend/shared modules they import) to
// dist-test/*.mjs for `node --test`: node 20 runs no TypeScript itself.
import { readdirSync, rmSync } from "node:fs";
import { build } from "esbuild";

rmSync("dist-test", { recursive: true, force: true }); // no test of a removed file runs
await build({
  entryPoints: readdirSync(".").filter((f) => f.endsWith(".test.ts")),
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  outdir: "dist-test",
  outExtension: { ".js": ".mjs" },
  logLevel: "warning",
});
