/**
 * End to end, web mode with the real engine: the research workflow of issue 18. A sweep of two seeds started from the
 * setup screen trains one run after the other; the run browser shows the group with mean ± std beside each figure
 * (checked against the runs' own files) and compares it with a second group made by `train --seeds`; the 3D view of a
 * run exports the points it shows as CSV (a hidden class left out, a lasso selection marked) and its projection axes
 * as .npy, which this test reads back. Screenshots go to test-artifacts/research-*.png.
 *
 * Needs a built renderer in out/renderer (`npm run test:e2e` builds it first).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServeProcess } from './serveProcess';
import type { SnapshotEvent, TaskRecord } from '../../preload/api';
import { decodeNpy } from '../../main/export/npy';
import { readSweep } from '../../main/store/sweepFiles';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const cli = join(repo, 'main/cli/index.ts');
const artifacts = join(repo, 'test-artifacts');
const runsRoot = mkdtempSync(join(tmpdir(), 'crate-research-runs-'));

let browser: Browser;

const serve = new ServeProcess(runsRoot, ['--backend', 'wasm']);
const startServe = (): Promise<string> => serve.start();
const stopServe = (): Promise<void> => serve.stop();

const readJson = <T,>(file: string): T => JSON.parse(readFileSync(file, 'utf8')) as T;
const lastTask = (runId: string): TaskRecord =>
  readFileSync(join(runsRoot, runId, 'knowledge.ndjson'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as TaskRecord)
    .filter((k) => k.kind === 'task')
    .pop()!;

/** mean ± sample std as the run browser prints accuracies: percent with one decimal */
function meanStdText(xs: number[]): string {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const s = Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
  return `${(m * 100).toFixed(1)} ± ${(s * 100).toFixed(1)}`;
}

async function download(page: Page, testId: string): Promise<Buffer> {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId(testId).click()]);
  const file = await dl.path();
  return readFileSync(file);
}

beforeAll(async () => {
  if (!existsSync(join(repo, 'out/renderer/index.html'))) throw new Error('out/renderer/index.html is missing: build the renderer first (npm run build)');
  mkdirSync(artifacts, { recursive: true });
  // a second group to compare with, made by the CLI: fewer tasks, otherwise the window's quick settings
  const r = spawnSync(process.execPath, ['--import', 'tsx', cli, 'train', '--runs-root', runsRoot, '--preset', 'tiny', '--backend', 'wasm', '--quick', '--tasks', '2', '--seeds', '1,2', '--group', 'cli-sweep', '--json'], {
    cwd: repo,
    encoding: 'utf8',
    timeout: 240_000,
  });
  if (r.status !== 0) throw new Error(`the CLI sweep failed (${r.status}):\n${r.stderr}`);
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
  });
});

afterAll(async () => {
  await browser?.close();
  await stopServe();
  rmSync(runsRoot, { recursive: true, force: true });
});

describe('seed sweeps and the view as data, in the window', () => {
  it('starts a sweep from the setup screen, shows its group with mean ± std, compares two groups, exports the 3D view', async () => {
    const url = await startServe();
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(url);

    // setup: a sweep of two seeds on the tiny preset, with a drawn class order
    await expect.poll(() => page.getByTestId('inspect-result').count(), { timeout: 90_000 }).toBe(1);
    await page.getByLabel('Preset').selectOption('tiny');
    await page.getByTestId('sweep-seeds').fill('3,4');
    await page.getByLabel('Class-order seed (optional)').fill('9');
    await expect(page.getByTestId('start-run').innerText()).resolves.toBe('Start sweep (2 runs)');
    await page.getByTestId('start-run').click();

    // both runs train, one after the other; the sweep file records them
    const windowSweep = (): string => {
      const names = existsSync(join(runsRoot, 'sweeps')) ? readdirSync(join(runsRoot, 'sweeps')) : [];
      return (names.find((n) => n.endsWith('.json') && n !== 'cli-sweep.json') ?? 'none.json').slice(0, -5);
    };
    const finished = async (): Promise<string[] | null> => {
      const s = readSweep(runsRoot, windowSweep());
      return s && s.members.every((m) => m.status === 'finished') ? s.members.map((m) => m.runId!) : null;
    };
    await expect.poll(finished, { timeout: 240_000, interval: 1000 }).not.toBeNull();
    const members = (await finished())!;
    expect(members).toHaveLength(2);
    const seeds = members.map((id) => readJson<{ seed: number; orderSeed: number }>(join(runsRoot, id, 'run.json')));
    expect(seeds.map((s) => [s.seed, s.orderSeed])).toEqual([
      [3, 9],
      [4, 9],
    ]);

    // the run browser: the group of the two runs, mean ± std of each headline figure from the runs' own records
    await page.getByRole('tab', { name: 'Runs' }).click();
    await page.getByRole('button', { name: 'Refresh' }).click();
    await expect.poll(() => page.locator('[data-testid=group-row]').count(), { timeout: 30_000 }).toBe(2);
    const tasks = members.map(lastTask);
    const windowRow = page.locator('[data-testid=group-row]').filter({ hasText: windowSweep() });
    await expect(windowRow.innerText()).resolves.toContain('2 / 2');
    for (const [name, pick] of [
      ['accAllMemory', (t: TaskRecord) => t.accAllMemory],
      ['accAllPaper', (t: TaskRecord) => t.accAllPaper],
      ['avgIncrementalMemory', (t: TaskRecord) => t.avgIncrementalMemory],
    ] as const)
      await expect(windowRow.locator(`[data-testid=group-figure][data-figure=${name}]`).innerText()).resolves.toBe(meanStdText(tasks.map(pick)));
    // each run row shows its seeds
    const runRow = page.locator(`[data-testid=run-row][data-run-id="${members[0]}"]`);
    await expect(runRow.getByTestId('run-seeds').innerText()).resolves.toContain('seed 3 · order seed 9');

    // two groups selected: compared figure by figure
    const boxes = page.locator('[data-testid=group-row] input[type=checkbox]');
    await boxes.nth(0).check();
    await boxes.nth(1).check();
    const cmp = page.getByTestId('compare-groups');
    await expect.poll(() => cmp.count()).toBe(1);
    const accRow = cmp.locator('[data-testid=compare-figure][data-figure=accAllMemory]');
    await expect(accRow.innerText()).resolves.toMatch(/pts\s+(yes|no)$/);
    await page.screenshot({ path: join(artifacts, 'research-groups.png'), fullPage: true });

    // open the first member: its 3D view, one class hidden, a lasso selection, then the CSV and the axes
    await runRow.getByTestId('open-run').click();
    await expect.poll(() => page.locator('[data-testid=legend] .chip').count(), { timeout: 30_000 }).toBeGreaterThanOrEqual(3);
    const snap = readJson<SnapshotEvent>(join(runsRoot, members[0], 'snapshot.json'));
    const hiddenCls = Math.min(...snap.classes.map((c) => c.cls)); // the legend lists classes by index
    await page.locator('[data-testid=legend] .chip').first().click();
    await page.waitForTimeout(1500); // the morph settles
    await page.getByTestId('lasso').click();
    const box = (await page.getByTestId('lasso-layer').boundingBox())!;
    const cx = box.x + box.width / 2;
    const cy = box.y + box.height / 2;
    const rx = box.width * 0.3;
    const ry = box.height * 0.3;
    await page.mouse.move(cx - rx, cy - ry);
    await page.mouse.down();
    for (const [x, y] of [[cx + rx, cy - ry], [cx + rx, cy + ry], [cx - rx, cy + ry], [cx - rx, cy - ry + 1]]) await page.mouse.move(x, y, { steps: 5 });
    await page.mouse.up();
    await expect.poll(() => page.getByTestId('clear-selection').count(), { timeout: 10_000 }).toBe(1);
    const nSelected = Number((await page.getByTestId('clear-selection').innerText()).split(' ')[0]);
    expect(nSelected).toBeGreaterThan(0);
    await page.screenshot({ path: join(artifacts, 'research-view.png') });

    const csv = (await download(page, 'export-view-csv')).toString('utf8').trim().split('\n');
    expect(csv[0]).toBe('point,x,y,z,class,class_name,task,view_task,selected');
    const rows = csv.slice(1).map((l) => l.split(','));
    const shown = snap.labels.map((c, i) => [i, c]).filter(([, c]) => c !== hiddenCls);
    // rows = the points shown (the hidden class left out), each with its snapshot label and class name
    expect(rows.map((r) => Number(r[0]))).toEqual(shown.map(([i]) => i));
    expect(rows.map((r) => Number(r[4]))).toEqual(shown.map(([, c]) => c));
    for (const r of rows) expect(r[5]).toBe(snap.classNames[Number(r[4])]);
    expect(rows.every((r) => r[7] === String(snap.task + 1))).toBe(true);
    expect(rows.filter((r) => r[8] === '1')).toHaveLength(nSelected);
    for (const r of rows) expect(Number.isFinite(Number(r[1])) && Number.isFinite(Number(r[2])) && Number.isFinite(Number(r[3]))).toBe(true);

    const axes = decodeNpy(new Uint8Array(await download(page, 'export-view-axes')));
    expect(axes.shape).toEqual([3, snap.features.shape[1]]);
    expect(errors).toEqual([]);
    await page.close();
  });
});
