// Build the bundle (dist/<slug>.js, one ES module exporting mount) and, with --tests, the
// unit tests (dist-test/*.test.mjs, run by `node --test`).
import { build } from "esbuild";
import { readdirSync } from "node:fs";

const slug = JSON.parse(await import("node:fs").then((fs) => fs.readFileSync("package.json", "utf8"))).purelms.slug;

await build({
  entryPoints: ["src/index.ts"],
  bundle: true,
  format: "esm",
  target: "es2020",
  outfile: `dist/${slug}.js`,
  sourcemap: true,
  logLevel: "warning",
});

if (process.argv.includes("--tests")) {
  const tests = readdirSync("test").filter((f) => f.endsWith(".test.ts")).map((f) => `test/${f}`);
  await build({
    entryPoints: tests,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    outdir: "dist-test",
    outExtension: { ".js": ".mjs" },
    logLevel: "warning",
  });
}
