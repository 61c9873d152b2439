/**
 * `report SWEEP`: one self-contained HTML page for a sweep — its settings, every member run with its seed and status,
 * and for every figure of the members' summaries the mean ± sample standard deviation beside each seed's value (the
 * numbers of the sweep-summary `train --seeds … --json` printed). Static HTML, no script: it opens anywhere.
 */
import * as path from 'node:path';
import { sweepSummary, type SweepSummary } from '../../engine/sweep';
import { readSweep, sweepsDir, type SweepJson } from '../../store/sweepFiles';
import { ExportError } from '../exportError';
import { writeReport } from './writeReport';

const esc = (s: unknown): string =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Accuracies and other fractions print as numbers with four decimals; counts (bytes, images/s) without. */
const num = (v: number): string => (Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(4));

/** The page for a sweep; a pure function of the sweep file and its summary (tested without a browser). */
export function groupReportHtml(sweep: SweepJson, s: SweepSummary, generatedAt: string): string {
  const req = sweep.run.req;
  const settings: [string, unknown][] = [
    ['data', req.data],
    ['preset', req.preset || '(from the source run)'],
    ['classes per task', req.classesPerTask],
    ['class order', req.order ? req.order.join(',') : req.orderSeed !== undefined ? `drawn by order seed ${req.orderSeed}` : 'natural'],
    ['quick', req.quick],
    ...Object.entries(sweep.run.model).map(([k, v]): [string, unknown] => [`model ${k}`, v]),
    ...Object.entries(sweep.run.recipe).map(([k, v]): [string, unknown] => [`recipe ${k}`, v]),
  ];
  const members = s.runs
    .map((r) => `<tr><td>${esc(r.seed)}</td><td class="mono">${esc(r.runId ?? '—')}</td><td>${esc(r.status)}</td></tr>`)
    .join('');
  const seedHeads = s.runs.map((r) => `<th title="${esc(r.runId ?? '')}">seed ${esc(r.seed)}</th>`).join('');
  const rows = Object.entries(s.figures)
    .map(([name, f]) => {
      const cells = s.runs.map((r) => {
        const v = f.values.find((x) => x.seed === r.seed);
        return `<td>${v ? num(v.value) : '—'}</td>`;
      });
      return `<tr data-figure="${esc(name)}"><th scope="row" class="mono">${esc(name)}</th><td class="ms">${num(f.mean)} ± ${f.std === null ? '—' : num(f.std)}</td><td>${f.n}</td>${cells.join('')}</tr>`;
    })
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Sweep ${esc(sweep.id)} — CRATE Lab</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#1b1f24;padding:0 1rem}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}th,td{border:1px solid #d0d7de;padding:.25rem .6rem;text-align:right}
th[scope=row],td.mono,.kv th{text-align:left}.mono{font-family:ui-monospace,monospace}.ms{font-weight:600;white-space:nowrap}
.muted{color:#57606a}
</style></head><body>
<h1>Sweep <span class="mono">${esc(sweep.id)}</span></h1>
<p class="muted">${s.runs.filter((r) => r.status === 'finished').length} of ${s.runs.length} runs finished (${esc(s.status)}) · generated ${esc(generatedAt)} by CRATE Lab</p>
<h2>Settings (shared by every run)</h2>
<table class="kv">${settings.map(([k, v]) => `<tr><th>${esc(k)}</th><td class="mono">${esc(typeof v === 'object' ? JSON.stringify(v) : v)}</td></tr>`).join('')}</table>
<h2>Runs</h2>
<table><thead><tr><th>seed</th><th>run</th><th>status</th></tr></thead><tbody>${members}</tbody></table>
<h2>Figures</h2>
<p class="muted">Mean ± ${esc(s.std)} over the finished runs, and each seed's value, for every number of the runs' summaries (baselines as <span class="mono">baselines.&lt;name&gt;</span>). Accuracies are fractions of the test split.</p>
<table id="figures"><thead><tr><th>figure</th><th>mean ± std</th><th>n</th>${seedHeads}</tr></thead><tbody>${rows || '<tr><td colspan="3">No run has finished yet.</td></tr>'}</tbody></table>
</body></html>
`;
}

export function reportGroup(runsRoot: string, id: string, outFile?: string): { file: string; bytes: number } {
  const sweep = readSweep(runsRoot, id);
  if (!sweep) throw new ExportError('not-found', `no sweep '${id}' in ${sweepsDir(runsRoot)}`);
  const html = groupReportHtml(sweep, sweepSummary(sweep), new Date().toISOString());
  const file = path.resolve(outFile ?? path.join(sweepsDir(runsRoot), `${id}.html`));
  return writeReport(file, html);
}
