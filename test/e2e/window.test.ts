/**
 * End to end, the lab window in web mode with the real engine (tiny preset, quick): start a run from the
 * setup screen, watch it progress, pause and resume, check that the 3D view really draws the classes
 * (pixels read back from a screenshot of the canvas), that the accuracy matrix and reconstructions
 * appear, and that the run browser still lists and reopens the run after the server restarts.
 * Screenshots go to test-artifacts/window-*.png.
 *
 * Needs a built renderer in out/renderer (`npm run test:e2e` builds it first).
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServeProcess } from './serveProcess';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const artifacts = join(repo, 'test-artifacts');
const runsRoot = mkdtempSync(join(tmpdir(), 'crate-window-runs-'));

let browser: Browser;
let runId = '';

const serve = new ServeProcess(runsRoot, []);
const startServe = (): Promise<string> => serve.start();
const stopServe = (): Promise<void> => serve.stop();

async function newPage(): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // the strict CSP of web mode must hold for everything the window loads (charts, WebGL, the worker)
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) errors.push(m.text());
  });
  return { page, errors };
}

async function stepValue(page: Page): Promise<number> {
  const t = (await page.getByTestId('step-value').innerText()).trim();
  return Number(t);
}

/** Pixels of the canvas that are close to each class colour (taken from the legend swatches). */
async function classPixelCounts(page: Page): Promise<{ colours: number[][]; counts: number[]; nonBackground: number }> {
  // (browser-side code as a string: this file compiles with Node types only)
  const colours = (await page.evaluate(
    `[...document.querySelectorAll('[data-testid=legend] .chip .swatch')].map((e) => (getComputedStyle(e).backgroundColor.match(/\\d+/g) ?? []).slice(0, 3).map(Number))`,
  )) as number[][];
  const shot = await page.locator('[data-testid=subspace-view] canvas').screenshot();
  const png = PNG.sync.read(shot);
  const counts = colours.map(() => 0);
  let nonBackground = 0;
  const bg = [13, 17, 23]; // #0d1117, the scene's clear colour
  for (let i = 0; i < png.width * png.height; i++) {
    const r = png.data[i * 4];
    const g = png.data[i * 4 + 1];
    const b = png.data[i * 4 + 2];
    if (Math.abs(r - bg[0]) + Math.abs(g - bg[1]) + Math.abs(b - bg[2]) > 40) nonBackground++;
    colours.forEach((c, k) => {
      // a disc is the class colour times a shade from 1 (centre) down to 0.55 (rim): a pixel counts for class k
      // when it is c_k scaled by such a shade; points are a few pixels wide on this canvas, so centres alone
      // leave a class with one or two pixels
      const shade = (r * c[0] + g * c[1] + b * c[2]) / (c[0] * c[0] + c[1] * c[1] + c[2] * c[2]);
      if (shade < 0.55 || shade > 1.05) return;
      if (Math.abs(r - shade * c[0]) + Math.abs(g - shade * c[1]) + Math.abs(b - shade * c[2]) < 24) counts[k]++;
    });
  }
  return { colours, counts, nonBackground };
}

beforeAll(async () => {
  if (!existsSync(join(repo, 'out/renderer/index.html'))) throw new Error('out/renderer/index.html is missing: build the renderer first (npm run build)');
  mkdirSync(artifacts, { recursive: true });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      // WebGL in headless Chromium without a GPU: SwiftShader, explicitly allowed
      '--use-angle=swiftshader',
      '--enable-unsafe-swiftshader',
    ],
  });
});

afterAll(async () => {
  await browser?.close();
  await stopServe();
  rmSync(runsRoot, { recursive: true, force: true });
});

describe('the lab window with the real engine', () => {
  it('starts a run from the setup screen and shows what it learns', async () => {
    const url = await startServe();
    const { page, errors } = await newPage();
    await page.goto(url);

    // setup: the built-in dataset is inspected before anything starts
    await expect.poll(() => page.getByTestId('inspect-result').count(), { timeout: 90_000 }).toBe(1);
    await expect(page.getByTestId('inspect-result').innerText()).resolves.toContain('10 classes');
    await page.screenshot({ path: join(artifacts, 'window-setup.png') });
    await page.getByLabel('Preset').selectOption('tiny'); // the default is mnist-s: minutes per task on a CPU
    await page.getByTestId('start-run').click();

    // progress advances
    await expect.poll(() => page.getByTestId('run-status').innerText(), { timeout: 90_000 }).toBe('running');
    await expect.poll(() => stepValue(page), { timeout: 120_000 }).toBeGreaterThan(0);
    const s0 = await stepValue(page);
    await expect.poll(() => stepValue(page), { timeout: 120_000 }).toBeGreaterThan(s0);

    // pause: the step stops moving; resume: it moves again
    await page.getByTestId('pause').click();
    await expect.poll(() => page.getByTestId('run-status').innerText(), { timeout: 60_000 }).toBe('paused');
    await page.waitForTimeout(500); // a progress event already on the wire may still land
    const sp = await stepValue(page);
    await page.waitForTimeout(2500);
    expect(await stepValue(page)).toBe(sp);
    await page.getByTestId('resume').click();
    // the tiny run is seconds long: on a loaded machine the Pause may have landed in the last task's baselines, where
    // no steps are left to move, and the resumed run can finish between two polls
    await expect
      .poll(async () => (await stepValue(page)) > sp || (await page.getByTestId('run-status').innerText()) === 'finished', { timeout: 120_000 })
      .toBe(true);

    // the first task's accuracy-matrix row, and reconstructions
    await expect.poll(() => page.getByTestId('acc-row').count(), { timeout: 240_000 }).toBeGreaterThanOrEqual(1);
    // the lab's own figures beside the baselines the task recorded
    await expect.poll(() => page.getByTestId('baseline-row').count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
    await expect(page.getByTestId('baselines').innerText()).resolves.toContain('this lab · from memory');
    await expect.poll(() => page.getByTestId('recon-row').count(), { timeout: 120_000 }).toBeGreaterThanOrEqual(1);

    // the 3D view: axes off so only points carry class colours, then read the pixels back
    await expect.poll(() => page.locator('[data-testid=legend] .chip').count(), { timeout: 120_000 }).toBeGreaterThanOrEqual(2);
    // hold the run still while the picture is read: on 2 threads a tiny task lasts a few seconds, and a snapshot
    // arriving mid-read starts a morph (new points fly out from their class centre); a run that has already
    // finished is still, and pausing it is then refused
    if ((await page.getByTestId('run-status').innerText()) === 'running') await page.getByTestId('pause').click({ timeout: 5_000 }).catch(() => undefined);
    await expect.poll(() => page.getByTestId('run-status').innerText(), { timeout: 60_000 }).toMatch(/^(paused|finished)$/);
    await page.getByRole('checkbox', { name: 'Axes' }).uncheck();
    await page.waitForTimeout(1500); // let the morph settle
    // snapshots are decoded and projected in a worker, off the UI thread
    expect(page.workers().length).toBeGreaterThanOrEqual(1);
    const { colours, counts, nonBackground } = await classPixelCounts(page);
    expect(nonBackground).toBeGreaterThan(300);
    const drawn = counts.filter((c) => c >= 10).length;
    expect(drawn, `class colours ${JSON.stringify(colours)} pixel counts ${JSON.stringify(counts)}`).toBeGreaterThanOrEqual(colours.length);
    await page.getByRole('checkbox', { name: 'Axes' }).check();
    await page.screenshot({ path: join(artifacts, 'window-live.png') });
    await page.evaluate(`document.querySelector('.lab-main')?.scrollTo(0, 560)`);
    await page.waitForTimeout(500);
    await page.screenshot({ path: join(artifacts, 'window-knowledge.png') });

    // the run id, from the run browser (also checks that it lists the live run)
    await page.getByRole('tab', { name: 'Runs' }).click();
    await expect.poll(() => page.getByTestId('run-row').count(), { timeout: 30_000 }).toBe(1);
    runId = (await page.getByTestId('run-row').getAttribute('data-run-id')) ?? '';
    expect(runId).not.toBe('');
    await page.getByRole('tab', { name: 'Lab' }).click();

    // stop it (paused above) so the store holds a settled run for the restart below; a finished run is settled
    if ((await page.getByTestId('run-status').innerText()) === 'paused') {
      await page.getByTestId('stop').click();
      await page.getByRole('button', { name: 'Stop now' }).click();
    }
    await expect.poll(() => page.getByTestId('run-status').innerText(), { timeout: 90_000 }).toMatch(/stopped|finished/);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('lists the run after the server restarts and reopens it read-only from its files', async () => {
    expect(runId).not.toBe('');
    await stopServe();
    const url = await startServe();
    const { page, errors } = await newPage();
    await page.goto(url);
    await page.getByRole('tab', { name: 'Runs' }).click();
    const row = page.locator(`[data-testid=run-row][data-run-id="${runId}"]`);
    await expect.poll(() => row.count(), { timeout: 60_000 }).toBe(1);
    await expect(row.innerText()).resolves.toMatch(/builtin:digits/);
    await expect(row.getByTestId('run-settings').innerText()).resolves.toBe('quick'); // what it did beyond a plain run
    await page.screenshot({ path: join(artifacts, 'window-runs.png') });
    await row.getByTestId('open-run').click();
    await expect.poll(() => page.getByTestId('run-status').innerText(), { timeout: 30_000 }).toContain('read-only');
    await expect.poll(() => page.getByTestId('acc-row').count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
    await expect.poll(() => page.getByTestId('chart-steps').count(), { timeout: 30_000 }).toBe(1);
    // the reconstructions of its last task end come back from the run folder, not from a live stream
    await expect.poll(() => page.getByTestId('recon-row').count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
    // beside them, the loop fidelity of that task end, and its chart in the knowledge log
    await expect(page.getByTestId('loop-fidelity').innerText()).resolves.toMatch(/reconstruction \d+\.\d%.*decoded memory \d+\.\d%.*pixel judge \d+\.\d%/s);
    await expect.poll(() => page.getByTestId('chart-loop-fidelity').count(), { timeout: 30_000 }).toBe(1);
    // and so does the feature snapshot: the 3D view draws the classes of the reopened run
    await expect.poll(() => page.locator('[data-testid=legend] .chip').count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
    await page.waitForTimeout(1500); // let the morph settle
    const { counts, nonBackground } = await classPixelCounts(page);
    expect(nonBackground).toBeGreaterThan(300);
    expect(counts.filter((c) => c >= 10).length).toBeGreaterThanOrEqual(2);
    await page.screenshot({ path: join(artifacts, 'window-reopened.png') });
    expect(errors).toEqual([]);
    await page.close();
  });
});
