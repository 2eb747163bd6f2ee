// Build the bundle and, with --tests, its unit tests.
//
// The bundle's Layer 1 metadata comes from the task's manifest (../interactive_task.yaml):
// its name, version, progress reporting, parameters and outputs are compiled in as the
// constant __PURELMS_TASK__ (frontend/shared/layer1.ts), and the bundle is written to
// dist/<frontend.bundle>, the file the platform serves from
// /static/backends/<slug>/<version>/<bundle>. The unit tests (dist-test/*.test.mjs, run by
// `node --test`) get the same constant, so they read parameters and outputs from the manifest.
import { build } from "esbuild";
import { readFileSync, readdirSync, rmSync } from "node:fs";
import { parse } from "yaml";

const MANIFEST = "../interactive_task.yaml";
const MOUNT_CONTRACT = "purelms.interactive_mount.v1";

function fail(message) {
  console.error(`build.mjs: ${MANIFEST}: ${message}`);
  process.exit(1);
}

const manifest = parse(readFileSync(MANIFEST, "utf8"));
if (typeof manifest !== "object" || manifest === null) fail("not a mapping");
const bundle = manifest.frontend?.bundle;
if (typeof bundle !== "string" || !/^[A-Za-z0-9][A-Za-z0-9._-]*\.m?js$/.test(bundle)) {
  fail(`frontend.bundle must be a file name ending in .js (got ${JSON.stringify(bundle)})`);
}
const contract = manifest.frontend?.mount_contract ?? MOUNT_CONTRACT;
if (contract !== MOUNT_CONTRACT) fail(`frontend.mount_contract must be ${MOUNT_CONTRACT} (got ${contract})`);
const task = {
  slug: manifest.slug,
  name: manifest.name,
  version: manifest.version,
  bundle,
  progress_reporting: manifest.backend?.progress_reporting ?? "none",
  parameters: manifest.parameters ?? [],
  outputs: manifest.outputs ?? [],
  lms_outcomes: manifest.lms_outcomes ?? {},
};
const define = { __PURELMS_TASK__: JSON.stringify(task) };

await build({
  entryPoints: ["src/index.ts"],
  bundle: true,
  format: "esm",
  target: "es2020",
  outfile: `dist/${bundle}`,
  sourcemap: true,
  define,
  logLevel: "warning",
});

if (process.argv.includes("--tests")) {
  rmSync("dist-test", { recursive: true, force: true }); // no test of a removed file runs
  const tests = readdirSync("test").filter((f) => f.endsWith(".test.ts")).map((f) => `test/${f}`);
  await build({
    entryPoints: tests,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    outdir: "dist-test",
    outExtension: { ".js": ".mjs" },
    define,
    logLevel: "warning",
  });
}
