// End to end through `purelms serve energyplus_single_zone`, in headless chromium, as a student
// uses it: the form (human climate names, no "custom", a window's maximum that follows the
// facade, night setback inputs off while setback is off), a real run with progress, the result
// cards, the monthly chart and the outcome; a reload restores the run and "reset to defaults"
// brings the defaults back; the page at 360 px and 1280 px wide, with screenshots.
//
//   PURELMS_SERVE_URL=http://127.0.0.1:PORT/ node serve.mjs
//
// Env: CHROMIUM (default /usr/bin/chromium), PURELMS_SCREENSHOT_DIR (default
// ../../../runs/screenshots). Prints one "browser: ..." line per step; exits non-zero on the
// first failed expectation, naming it.
import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, launch } from "./chromium.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const url = process.env.PURELMS_SERVE_URL;
if (!url) throw new Error("set PURELMS_SERVE_URL to a running `purelms serve energyplus_single_zone`");
const shots = resolve(process.env.PURELMS_SCREENSHOT_DIR || join(HERE, "../../../runs/screenshots"));
mkdirSync(shots, { recursive: true });
const step = (text) => console.log(`browser: ${text}`);

// Records every state the run panel and the progress bar pass through.
const RECORDER = () => {
  window.__seen = [];
  new MutationObserver(() => {
    const run = document.querySelector("#task section.plms-run");
    const bar = document.querySelector("#task [data-host-progress], #task .plms-progress");
    if (!run) return;
    const entry = `${run.dataset.plmsState}:${run.dataset.status}:${bar?.dataset.mode ?? "-"}:${bar?.querySelector("progress")?.getAttribute("value") ?? "-"}`;
    if (window.__seen.at(-1) !== entry) window.__seen.push(entry);
  }).observe(document.documentElement, { subtree: true, childList: true, attributes: true });
};

const browser = await launch({ width: 1280, height: 900 });
try {
  const page = await browser.context.newPage();
  const errors = [];
  page.on("pageerror", (error) => errors.push(String(error)));
  await page.goto(url);
  await page.waitForSelector("#task form.plms-form", { timeout: 30000 });
  const title = await page.textContent("h1");
  const header = await page.textContent("header");
  expect(title === "EnergyPlus single zone", `title "${title}"`);
  expect(!/harness|loopback|backend|bundle/i.test(header), `developer words in the header: ${header}`);
  step(`page mounted: "${title}"`);

  const climates = await page.$$eval("#task select[name=climate] option", (os) => os.map((o) => [o.value, o.textContent]));
  expect(!climates.some(([v]) => v === "custom"), "'custom' is offered though no weather file can be given");
  expect(climates.every(([v, l]) => l !== v), `climate options are raw slugs: ${climates}`);
  step(`climates: ${climates.map(([, l]) => l).join(" | ")}`);

  const south = "#task input[type=number][name=window_area_south_m2]";
  const maxOf = (selector) => page.$eval(selector, (e) => Number(e.max));
  expect((await maxOf(south)) === 14.4, `south window max ${await maxOf(south)} with the 8 m facade`);
  await page.fill("#task input[type=number][name=length_m]", "5");
  expect((await maxOf(south)) === 9, `south window max ${await maxOf(south)} with a 5 m facade`);
  const range = await page.textContent('#task [data-range-for="window_area_south_m2"]');
  expect(range === "0 to 9 m²", `south window range reads "${range}"`);
  await page.fill("#task input[type=number][name=length_m]", "8");
  expect((await maxOf(south)) === 14.4, "the south window max did not follow the length back");
  step("window area maximum follows the facade: 14.4 m² at 8 m, 9 m² at 5 m");

  const night = "#task input[type=number][name=night_heating_setpoint_c]";
  expect(await page.isDisabled(night), "night heating setpoint editable with setback off");
  await page.click("#task details:has([name=night_setback]) > summary");
  await page.check("#task input[name=night_setback]");
  expect(!(await page.isDisabled(night)), "night heating setpoint still disabled with setback on");
  await page.uncheck("#task input[name=night_setback]");
  expect(await page.isDisabled(night), "night heating setpoint editable again with setback off");
  step("night setback inputs are disabled while setback is off");

  // A student's changes: a climate, a setpoint, better walls, an east window by its slider.
  await page.selectOption("#task select[name=climate]", "tampa");
  await page.fill("#task input[type=number][name=heating_setpoint_c]", "21");
  await page.fill("#task input[type=number][name=wall_u_w_m2k]", "0.25");
  await page.locator("#task input[type=range][name=window_area_east_m2]").fill("4");
  const east = await page.inputValue("#task input[type=number][name=window_area_east_m2]");
  expect(east === "4", `the east window slider did not update its number box (${east})`);
  step("parameters changed: Tampa, heating setpoint 21 °C, wall U 0.25, east window 4 m² by slider");

  await page.evaluate(RECORDER);
  await page.click("#task button.plms-submit");
  await page.waitForSelector('#task section.plms-run[data-plms-state="terminal"]', { timeout: 120000 });
  const status = await page.$eval("#task section.plms-run", (e) => e.dataset.status);
  const seen = await page.evaluate(() => window.__seen);
  expect(status === "success", `the run ended ${status}: ${await page.textContent("#task .plms-run")}`);
  expect(seen.some((s) => s.startsWith("active:")), `no active state was shown: ${seen}`);
  step(`states seen: ${seen.join(" → ")}`);

  const cards = await page.locator("#task .plms-card").count();
  const bars = await page.locator("#task svg .plms-bar").count();
  const heating = (await page.textContent('#task .plms-card[data-output="heating_kwh"] .plms-card-value'))?.trim();
  const outcome = (await page.textContent("#task .plms-outcome"))?.trim();
  const attempt = (await page.textContent("#attempt"))?.trim();
  const provenance = await page.textContent("#task .plms-provenance");
  expect(cards >= 5, `expected the result cards, found ${cards}`);
  expect(bars === 24, `expected 24 monthly bars, found ${bars}`);
  expect(/kWh$/.test(heating ?? ""), `the heating card reads "${heating}"`);
  expect(/Goal (reached|not reached yet)/.test(outcome ?? ""), `no outcome: "${outcome}"`);
  expect(/^Attempt recorded: (passed|not passed)/.test(attempt ?? ""), `the host shows no outcome: "${attempt}"`);
  expect(/Tampa/i.test(provenance ?? ""), `the run did not use the chosen climate: ${provenance}`);
  step(`success: ${cards} cards, ${bars} bars, heating ${heating}, outcome "${outcome}", host "${attempt}"`);
  await page.screenshot({ path: join(shots, "energyplus_single_zone-1280.png"), fullPage: true });

  await page.reload();
  await page.waitForSelector('#task section.plms-run[data-plms-state="terminal"][data-status="success"]', { timeout: 15000 });
  expect(await page.isVisible("#task .plms-restored-run"), "after a reload the result is not the last run's");
  expect((await page.inputValue("#task select[name=climate]")) === "tampa", "after a reload the form lost the last run's climate");
  expect(await page.isVisible("#task .plms-restored"), "no note that the form shows the last run's parameters");
  await page.click("#task button.plms-reset");
  expect((await page.inputValue("#task select[name=climate]")) === "chicago", "reset did not bring the default climate back");
  expect((await page.inputValue("#task input[type=number][name=heating_setpoint_c]")) === "20", "reset did not restore the setpoint");
  step("reload: last run restored (Tampa, results); reset to defaults: Chicago, 20 °C");

  await page.setViewportSize({ width: 360, height: 780 });
  await page.reload();
  await page.waitForSelector('#task section.plms-run[data-plms-state="terminal"]', { timeout: 15000 });
  const layout = await page.evaluate(() => ({
    scroll: document.documentElement.scrollWidth,
    title: document.querySelector("h1").getBoundingClientRect().right,
    svg: document.querySelector("#task svg")?.getBoundingClientRect().width ?? 0,
  }));
  expect(layout.scroll <= 360, `the page is ${layout.scroll} px wide at 360 px`);
  expect(layout.title <= 360, `the title ends at ${layout.title} px`);
  expect(layout.svg > 250 && layout.svg <= 360, `the chart is ${layout.svg} px wide`);
  await page.screenshot({ path: join(shots, "energyplus_single_zone-360.png"), fullPage: true });
  step(`360 px: no horizontal scroll (${layout.scroll} px), chart ${Math.round(layout.svg)} px wide`);
  expect(errors.length === 0, `page errors: ${errors.join("; ")}`);
  step(`screenshots in ${shots}`);
} finally {
  await browser.close();
}
