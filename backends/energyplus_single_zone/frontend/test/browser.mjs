// Browser test of the energyplus_single_zone bundle under `purelms serve`, in headless
// Debian chromium driven by playwright-core (no browser download).
//
//   PURELMS_SERVE_URL=http://127.0.0.1:PORT/ node test/browser.mjs
//
// Env: CHROMIUM (default /usr/bin/chromium), PURELMS_SCREENSHOT_DIR (default
// ../../../runs/screenshots). Exits non-zero with one line per failed expectation.
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";

const url = process.env.PURELMS_SERVE_URL;
if (!url) throw new Error("set PURELMS_SERVE_URL to a running `purelms serve energyplus_single_zone`");
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const shots = resolve(process.env.PURELMS_SCREENSHOT_DIR || "../../../runs/screenshots");
mkdirSync(shots, { recursive: true });
const profile = mkdtempSync(join(tmpdir(), "purelms-chromium-"));

// A fresh profile per run; Playwright adds --headless and passes the profile as
// --user-data-dir. The other flags keep chromium off the (closed) network.
const context = await chromium.launchPersistentContext(profile, {
  executablePath,
  headless: true,
  viewport: { width: 1280, height: 900 },
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ],
});
const step = (text) => console.log(`browser: ${text}`);
try {
  const page = await context.newPage();
  const pageErrors = [];
  page.on("pageerror", (error) => pageErrors.push(String(error)));
  await page.goto(url);
  await page.waitForSelector("form.plms-form", { timeout: 15000 });
  step("form mounted");

  // Change parameters the way a learner does: the climate chooser, a number box, a slider.
  await page.selectOption("select[name=climate]", "tampa");
  await page.fill("input[type=number][name=heating_setpoint_c]", "21");
  await page.locator("input[type=range][data-mirror=window_area_east_m2]").fill("4");
  const east = await page.inputValue("input[type=number][name=window_area_east_m2]");
  if (east !== "4") throw new Error(`the east window slider did not update its number box (${east})`);
  step("parameters changed (climate tampa, heating setpoint 21, east window 4 m2 by slider)");

  await page.click("button.plms-submit");
  // Progress from the real EnergyPlus callbacks: a determinate <progress> with a percentage.
  await page.waitForSelector('[data-kind="active"] progress[value]', { timeout: 60000 });
  const progressText = await page.textContent(".plms-progress-text");
  step(`progress seen: ${progressText}`);
  await page.waitForSelector('[data-status="success"]', { timeout: 120000 });
  await page.waitForSelector(".plms-card[data-card=heating]", { timeout: 15000 });
  const cards = await page.locator(".plms-card").count();
  const bars = await page.locator("svg .plms-bar").count();
  const heatingText = await page.textContent(".plms-card[data-card=heating] .plms-card-value");
  const station = await page.textContent(".plms-provenance");
  if (cards < 5) throw new Error(`expected the result cards, found ${cards}`);
  if (bars !== 24) throw new Error(`expected 24 monthly bars, found ${bars}`);
  if (!/Tampa/i.test(station ?? "")) throw new Error(`the run did not use the chosen climate: ${station}`);
  step(`success: ${cards} cards, ${bars} bars, heating ${heatingText?.trim()}, ${station?.trim()}`);
  await page.screenshot({ path: join(shots, "energyplus_single_zone-success.png"), fullPage: true });

  // A run forced to fail: a south window bigger than its facade passes the form's range
  // (0-360 m2) but the backend's parameter model rejects it -> failed_runtime, PARAMS.INVALID.
  await page.fill("input[type=number][name=window_area_south_m2]", "100");
  await page.click("button.plms-submit");
  await page.waitForSelector('[data-status="failed_runtime"]', { timeout: 60000 });
  const failure = await page.textContent(".plms-run");
  if (!/PARAMS\.INVALID/.test(failure ?? "") || !/window_area_south_m2/.test(failure ?? "")) {
    throw new Error(`the failed run does not show its error message: ${failure}`);
  }
  if ((await page.locator(".plms-run .plms-card").count()) !== 0) throw new Error("a failed run still shows result cards");
  step(`failure shown: ${(await page.textContent(".plms-run .plms-msg-error"))?.trim()}`);
  await page.screenshot({ path: join(shots, "energyplus_single_zone-failed.png"), fullPage: true });
  if (pageErrors.length) throw new Error(`page errors: ${pageErrors.join("; ")}`);
  step(`screenshots in ${shots}`);
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
