// `report RUN`: one self-contained HTML file that opens offline in Chromium with its charts drawn and no console errors.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExportError } from '../../main/export/exportError';
import { downsample, reportRun } from '../../main/export/report/reportRun';
import { makeFakeRun } from './fakeRun';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

let root: string;
let runId: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'crate-report-'));
  runId = (await makeFakeRun(root)).id;
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('report', () => {
  it('writes one self-contained file with the run data, matrix and reconstructions', async () => {
    const before = tf.memory().numTensors;
    const { file, bytes } = await reportRun(root, runId);
    expect(tf.memory().numTensors).toBe(before);
    expect(file).toBe(path.join(root, runId, 'report.html'));
    const html = fs.readFileSync(file, 'utf8');
    expect(Buffer.byteLength(html)).toBe(bytes);
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|@import|url\(http/i); // nothing fetched
    expect(html).toContain('id="accuracy-matrix"');
    expect(html.match(/data:image\/png;base64,/g)?.length).toBe(4); // one strip per memory class
    expect(html).toContain('fake tiny run');
    expect(html).toContain('settings beyond a plain run: <b>quick · seed 1 · subspaceRank 3</b>');
    // the last task's loop fidelity as cards and its baselines with lab − baseline (0.825 − 0.75 = 7.5 points)
    expect(html).toMatch(/decoded memory<\/span><b>80\.0%<\/b>/);
    expect(html).toMatch(/<th[^>]*>frozenMemory<\/th><td>75\.0%<\/td><td>7\.5<\/td>/);
  });

  it('opens offline in Chromium with all charts drawn and no console errors', async () => {
    const out = path.join(root, 'elsewhere', 'r.html');
    await reportRun(root, runId, out);
    const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(`file://${out}`);
      await page.waitForFunction('window.__reportReady === true', null, { timeout: 20_000 });
      // evaluated in the page (a string: this project's Node tsconfig has no DOM types)
      const state = (await page.evaluate(`(() => {
        const canvases = [...document.querySelectorAll('.uplot canvas')];
        const inked = canvases.map((c) => {
          const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
          let n = 0;
          for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++;
          return n;
        });
        return {
          charts: window.__reportCharts,
          inked,
          legends: document.querySelectorAll('.u-legend .u-series').length,
          matrixRows: document.querySelectorAll('#accuracy-matrix tbody tr').length,
          images: [...document.querySelectorAll('.recon img')].map((i) => i.complete && i.naturalWidth > 0),
        };
      })()`)) as { charts: number; inked: number[]; legends: number; matrixRows: number; images: boolean[] };
      expect(state.charts).toBe(4); // accuracy, per class, loop fidelity, losses
      expect(state.inked).toHaveLength(4);
      for (const n of state.inked) expect(n).toBeGreaterThan(100); // lines were actually drawn
      expect(state.legends).toBeGreaterThanOrEqual(3 + 1 + 4 + 1 + 3 + 1 + 3 + 1);
      expect(state.matrixRows).toBe(2);
      expect(state.images).toEqual([true, true, true, true]);
      expect(problems).toEqual([]);
      expect(requests.filter((u) => !u.startsWith('file://') && !u.startsWith('data:'))).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('gives a clear error for a missing run and leaves an existing report untouched on failure', async () => {
    await expect(reportRun(root, 'no-such-run')).rejects.toThrow(ExportError);
    await expect(reportRun(root, 'no-such-run')).rejects.toThrow(/run 'no-such-run' not found/);
    const existing = path.join(root, 'keep.html');
    fs.writeFileSync(existing, 'old');
    fs.writeFileSync(path.join(root, runId, 'run.json'), '{ torn');
    await expect(reportRun(root, runId, existing)).rejects.toThrow(/run\.json is missing or corrupt/);
    expect(fs.readFileSync(existing, 'utf8')).toBe('old');
  });

  it('downsamples long curves to at most the limit, keeping the last point', () => {
    const rows = Array.from({ length: 10_001 }, (_, i) => i);
    const d = downsample(rows, 2000);
    expect(d).toHaveLength(2000);
    expect(d[0]).toBe(0);
    expect(d[d.length - 1]).toBe(10_000);
    expect(downsample([1, 2], 2000)).toEqual([1, 2]);
  });
});
