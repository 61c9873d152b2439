/**
 * One self-contained HTML report of a run: inline CSS and JS (uPlot inlined from node_modules), the data as one JSON
 * block, reconstructions as PNG data URLs. Nothing is fetched, so the file opens offline in any browser.
 * Building the page is a pure function of ReportData, which keeps it testable without a run on disk.
 */
import type { KnowledgeEvent, TaskRecord } from '../../../preload/api';

export interface ReportData {
  generatedAt: string;
  run: {
    id: string;
    name: string;
    status: string;
    createdAt: string;
    updatedAt: string | null;
    data: string;
    conversion: string;
    preset: string;
    backend: string;
    seed: number | null;
    /** what the run was asked to do beyond a plain run (run.json settings) */
    settings: string[];
  };
  classNames: string[];
  config: Record<string, unknown>;
  environment: Record<string, unknown>;
  tasks: TaskRecord[];
  events: KnowledgeEvent[];
  /** loss curves, downsampled */
  metrics: { step: number; T: number; lossEncoder: number; lossDecoder: number; samplesPerSec: number }[];
  /** per class: PNG data URL of x̂ = g(z) for a few memory rows */
  reconstructions: { cls: number; name: string; png: string; note: string }[];
}

export interface ReportAssets {
  uplotJs: string;
  uplotCss: string;
}

const esc = (s: unknown): string =>
  String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** JSON safe inside <script>: no '<' can close the element. */
const scriptJson = (v: unknown): string => JSON.stringify(v).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');

const pct = (v: number | null | undefined): string => (v === null || v === undefined || !Number.isFinite(v) ? '–' : `${(100 * v).toFixed(1)}%`);

/** Background of an accuracy cell: red (0) → yellow → green (1). */
function heat(v: number): string {
  const hue = Math.round(120 * Math.max(0, Math.min(1, v)));
  return `hsl(${hue} 70% 80%)`;
}

/** Background of a cosine cell: white (0) → blue (1), as the |ZᵀZ| heatmaps of the MCR² papers. */
function blue(v: number): string {
  return `hsl(215 75% ${Math.round(97 - 45 * Math.max(0, Math.min(1, v)))}%)`;
}

function accuracyMatrix(d: ReportData): string {
  if (d.tasks.length === 0) return '<p class="muted">No task finished yet.</p>';
  const classes = d.tasks[d.tasks.length - 1].seen;
  const head = classes.map((c) => `<th title="class ${c}">${esc(d.classNames[c] ?? c)}</th>`).join('');
  const rows = d.tasks
    .map((t) => {
      const cells = classes
        .map((c) => {
          const j = t.seen.indexOf(c);
          if (j < 0) return '<td class="empty"></td>';
          const v = t.accMemory[j];
          return `<td style="background:${heat(v)}">${pct(v)}</td>`;
        })
        .join('');
      return `<tr><th>task ${t.task + 1}</th>${cells}<td class="all">${pct(t.accAllMemory)}</td><td class="all">${pct(t.accAllPaper)}</td></tr>`;
    })
    .join('\n');
  return `<table class="matrix" id="accuracy-matrix"><thead><tr><th>after</th>${head}<th>all (memory)</th><th>all (paper)</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function subspaceTable(d: ReportData): string {
  const t = d.tasks[d.tasks.length - 1];
  if (!t || !t.subspaceCos?.length) return '';
  const names = t.seen.map((c) => esc(d.classNames[c] ?? c));
  const rows = t.subspaceCos
    .map((row, i) => `<tr><th>${names[i]}</th>${row.map((v) => `<td style="background:${blue(v)}">${v.toFixed(2)}</td>`).join('')}</tr>`)
    .join('');
  return `<h2>Class subspaces after the last task</h2>
<p class="muted">Cosine of the smallest principal angle between the nearest-subspace bases of two classes (1 = shared direction, 0 = orthogonal).</p>
<table class="matrix"><thead><tr><th></th>${names.map((n) => `<th>${n}</th>`).join('')}</tr></thead><tbody>${rows}</tbody></table>`;
}

/** The last task's baselines beside the lab's from-memory figure (lab − baseline in points). */
function baselineTable(d: ReportData): string {
  const last = d.tasks[d.tasks.length - 1];
  const rows = Object.entries(last?.baselines ?? {}).filter(([, v]) => Number.isFinite(v));
  if (!last || rows.length === 0) return '';
  const body = rows
    .map(([k, v]) => `<tr><th style="text-align:left" class="mono">${esc(k)}</th><td>${pct(v)}</td><td>${((last.accAllMemory - v) * 100).toFixed(1)}</td></tr>`)
    .join('');
  return `<h2>Baselines after the last task</h2>
<p class="muted">Measured in the same run and split. The last column is the lab's from-memory accuracy (${pct(last.accAllMemory)}) minus the baseline, in points.</p>
<table id="baselines"><thead><tr><th>baseline</th><th>accuracy</th><th>lab − baseline</th></tr></thead><tbody>${body}</tbody></table>`;
}

function kv(obj: Record<string, unknown>): string {
  return `<table class="kv">${Object.entries(obj)
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v))}</td></tr>`)
    .join('')}</table>`;
}

function reconstructions(d: ReportData): string {
  if (d.reconstructions.length === 0) return '<p class="muted">No reconstructions available (no readable checkpoint).</p>';
  return `<div class="recon">${d.reconstructions
    .map((r) => `<figure><img alt="reconstructions of ${esc(r.name)}" src="${r.png}"><figcaption>${esc(r.name)}<br><span class="muted">${esc(r.note)}</span></figcaption></figure>`)
    .join('')}</div>`;
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2433;background:#f6f7f9}
main{max-width:1000px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.muted{color:#6b7280}.cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}
.card{background:#fff;border:1px solid #e3e6ea;border-radius:8px;padding:10px 14px;min-width:130px}
.card b{display:block;font-size:20px}.chart{background:#fff;border:1px solid #e3e6ea;border-radius:8px;padding:8px;margin:8px 0}
table{border-collapse:collapse;background:#fff}th,td{border:1px solid #e3e6ea;padding:3px 8px;text-align:right}
th{background:#f0f2f5;font-weight:600}.kv th{text-align:left}.kv td{text-align:left;font-family:ui-monospace,monospace;font-size:12px;word-break:break-all}
td.empty{background:#fafafa}td.all{font-weight:600}.recon{display:flex;flex-wrap:wrap;gap:12px}
.recon figure{margin:0;background:#fff;border:1px solid #e3e6ea;border-radius:8px;padding:8px;text-align:center}
.recon img{image-rendering:pixelated;height:64px}pre{background:#fff;border:1px solid #e3e6ea;padding:8px;overflow:auto;font-size:12px}
`;

/** Draws the charts from the JSON block; sets window.__reportReady once every chart is drawn. */
const SCRIPT = `
(function(){
  var d = JSON.parse(document.getElementById('report-data').textContent);
  var palette = ['#2563eb','#dc2626','#16a34a','#9333ea','#ea580c','#0891b2','#ca8a04','#db2777','#4b5563','#65a30d'];
  var width = Math.min(940, document.querySelector('main').clientWidth - 20);
  var drawn = 0;
  function chart(id, title, xLabel, x, series, yRange, integerX){
    var el = document.getElementById(id);
    if (!x.length) { el.textContent = title + ': no data yet.'; return; }
    var opts = { title: title, width: width, height: 260,
      scales: { x: { time: false }, y: yRange ? { range: yRange } : {} },
      axes: [integerX ? { label: xLabel, incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500] } : { label: xLabel }, {}],
      series: [{ label: xLabel }].concat(series.map(function(s, i){ return { label: s.label, stroke: palette[i % palette.length], width: 2, points: { show: x.length < 40 } }; })) };
    new uPlot(opts, [x].concat(series.map(function(s){ return s.values; })), el);
    drawn++;
  }
  var tasks = d.tasks, names = d.classNames;
  var tx = tasks.map(function(t){ return t.task + 1; });
  chart('chart-accuracy', 'Accuracy on all seen classes after each task', 'task', tx, [
    { label: 'memory (lab classifier)', values: tasks.map(function(t){ return t.accAllMemory; }) },
    { label: 'paper protocol', values: tasks.map(function(t){ return t.accAllPaper; }) },
    { label: 'average incremental (memory)', values: tasks.map(function(t){ return t.avgIncrementalMemory; }) }
  ], [0, 1], true);
  var classes = tasks.length ? tasks[tasks.length - 1].seen : [];
  chart('chart-classes', 'Knowledge curves: accuracy of each class after each task (memory protocol)', 'task', tx,
    classes.map(function(c){ return { label: names[c] || ('class ' + c), values: tasks.map(function(t){ var j = t.seen.indexOf(c); return j < 0 ? null : t.accMemory[j]; }) }; }), [0, 1], true);
  var lf = tasks.filter(function(t){ return t.loopFidelity; });
  if (lf.length) chart('chart-fidelity', 'Loop fidelity: what the decoder draws, recognised (every seen class)', 'task', lf.map(function(t){ return t.task + 1; }), [
    { label: 'reconstruction f(g(f(x)))', values: lf.map(function(t){ return t.loopFidelity.reconstructionAll; }) },
    { label: 'decoded memory f(g(z))', values: lf.map(function(t){ return t.loopFidelity.decodedMemoryAll; }) },
    { label: 'pixel judge on g(z)', values: lf.map(function(t){ return t.loopFidelity.decodedMemoryPixelAll; }) }
  ], [0, 1], true);
  var m = d.metrics;
  chart('chart-loss', 'Closed-loop objective T and the two players\\' losses', 'step', m.map(function(r){ return r.step; }), [
    { label: 'T', values: m.map(function(r){ return r.T; }) },
    { label: 'encoder loss (−T)', values: m.map(function(r){ return r.lossEncoder; }) },
    { label: 'decoder loss (T)', values: m.map(function(r){ return r.lossDecoder; }) }
  ]);
  window.__reportCharts = drawn;
  window.__reportReady = true;
})();
`;

export function reportHtml(d: ReportData, assets: ReportAssets): string {
  const last = d.tasks[d.tasks.length - 1];
  const steps = d.metrics.length ? d.metrics[d.metrics.length - 1].step : 0;
  const cards: [string, string][] = [
    ['accuracy (memory)', pct(last?.accAllMemory)],
    ['accuracy (paper)', pct(last?.accAllPaper)],
    ['classes learned', String(last?.seen.length ?? 0)],
    ['tasks', String(d.tasks.length)],
    ['steps', String(steps)],
    ['memory', last ? `${(last.memoryBytes / 1024).toFixed(1)} KiB` : '–'],
    ...(last?.loopFidelity
      ? ([
          ['reconstruction', pct(last.loopFidelity.reconstructionAll)],
          ['decoded memory', pct(last.loopFidelity.decodedMemoryAll)],
          ['pixel judge', pct(last.loopFidelity.decodedMemoryPixelAll)],
        ] as [string, string][])
      : []),
  ];
  const events = d.events
    .slice(-200)
    .map((e) => `<tr><td>${e.task + 1}</td><td>${e.step}</td><td style="text-align:left">${esc(e.event)}</td><td style="text-align:left">${esc(e.message)}</td></tr>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>CRATE Lab report: ${esc(d.run.name)}</title>
<style>${assets.uplotCss}</style><style>${CSS}</style></head>
<body><main>
<h1>${esc(d.run.name)}</h1>
<div class="muted">run ${esc(d.run.id)} · ${esc(d.run.status)} · preset ${esc(d.run.preset)} · data ${esc(d.run.data)} · backend ${esc(d.run.backend)} · report generated ${esc(d.generatedAt)}</div>
${d.run.settings.length ? `<div class="muted">settings beyond a plain run: <b>${esc(d.run.settings.join(' · '))}</b></div>` : ''}
<div class="cards">${cards.map(([k, v]) => `<div class="card"><span class="muted">${esc(k)}</span><b>${esc(v)}</b></div>`).join('')}</div>
<h2>Knowledge growth</h2>
<div class="chart" id="chart-accuracy"></div>
<div class="chart" id="chart-classes"></div>
${d.tasks.some((t) => t.loopFidelity) ? '<div class="chart" id="chart-fidelity"></div>' : ''}
${baselineTable(d)}
<h2>Accuracy matrix</h2>
<p class="muted">Row: after task t; column: class; value: test accuracy of the lab's nearest-subspace classifier fitted from its structured memory (honest protocol). The last two columns give overall accuracy, memory and paper protocols.</p>
${accuracyMatrix(d)}
${subspaceTable(d)}
<h2>Training</h2>
<div class="chart" id="chart-loss"></div>
<h2>Reconstructions</h2>
<p class="muted">x̂ = g(z) for memory features z of each class, decoded by the final decoder: what the lab remembers without keeping any image.</p>
${reconstructions(d)}
<h2>Configuration</h2>
<pre>${esc(JSON.stringify(d.config, null, 2))}</pre>
<h2>Environment</h2>
${kv(d.environment)}
<h2>Run</h2>
${kv(d.run)}
${events ? `<h2>Events</h2><table><thead><tr><th>task</th><th>step</th><th>event</th><th>message</th></tr></thead><tbody>${events}</tbody></table>` : ''}
</main>
<script type="application/json" id="report-data">${scriptJson({ tasks: d.tasks, classNames: d.classNames, metrics: d.metrics })}</script>
<script>${assets.uplotJs.replace(/<\/script/gi, '<\\/script')}</script>
<script>${SCRIPT}</script>
</body></html>
`;
}
