import type { TaskRecord } from '../../../preload/api';

/**
 * Turns task records (knowledge.ndjson lines) into chart-ready columns. Pure, so the charts of a live
 * run and of a run reopened from disk are built by the same code and tested once.
 */

export type Protocol = 'memory' | 'paper';

export interface AccuracyMatrix {
  classes: number[]; // column order: every class seen by the last task, ascending
  rows: { task: number; cells: (number | null)[] }[];
}

/** Task × class accuracy; null where the class was not seen yet at that task. */
export function accuracyMatrix(tasks: readonly TaskRecord[], protocol: Protocol): AccuracyMatrix {
  const all = new Set<number>();
  for (const t of tasks) for (const c of t.seen) all.add(c);
  const classes = [...all].sort((a, b) => a - b);
  const col = new Map(classes.map((c, i) => [c, i]));
  const rows = [...tasks]
    .sort((a, b) => a.task - b.task)
    .map((t) => {
      const cells: (number | null)[] = classes.map(() => null);
      const acc = protocol === 'memory' ? t.accMemory : t.accPaper;
      t.seen.forEach((c, i) => {
        const v = acc[i];
        if (v !== undefined && Number.isFinite(v)) cells[col.get(c)!] = v;
      });
      return { task: t.task, cells };
    });
  return { classes, rows };
}

/** x = task number (1-based); average incremental and last accuracy in percent, both protocols. */
export function accuracyCurves(tasks: readonly TaskRecord[]): [number[], ...(number | null)[][]] {
  const t = [...tasks].sort((a, b) => a.task - b.task);
  const pct = (v: number): number | null => (Number.isFinite(v) ? v * 100 : null);
  return [
    t.map((r) => r.task + 1),
    t.map((r) => pct(r.avgIncrementalMemory)),
    t.map((r) => pct(r.avgIncrementalPaper)),
    t.map((r) => pct(r.accAllMemory)),
    t.map((r) => pct(r.accAllPaper)),
  ];
}

/**
 * x = task number (1-based); the three loop-fidelity figures over all seen classes in percent (null for a task recorded
 * before they were measured): reconstruction f(g(f(x))), decoded memory f(g(z_mem)), the pixel judge on g(z_mem).
 */
export function loopFidelityCurves(tasks: readonly TaskRecord[]): [number[], ...(number | null)[][]] {
  const t = [...tasks].sort((a, b) => a.task - b.task);
  const pct = (v: number | undefined): number | null => (v !== undefined && Number.isFinite(v) ? v * 100 : null);
  return [
    t.map((r) => r.task + 1),
    t.map((r) => pct(r.loopFidelity?.reconstructionAll)),
    t.map((r) => pct(r.loopFidelity?.decodedMemoryAll)),
    t.map((r) => pct(r.loopFidelity?.decodedMemoryPixelAll)),
  ];
}

export type PerClassField = 'forgetting' | 'rank' | 'codingRate' | 'drift';

/** One series per class over tasks; null before the class was seen. `scale` turns fractions into %. */
export function perClassOverTasks(tasks: readonly TaskRecord[], field: PerClassField, scale = 1): { classes: number[]; data: [number[], ...(number | null)[][]] } {
  const t = [...tasks].sort((a, b) => a.task - b.task);
  const all = new Set<number>();
  for (const r of t) for (const c of r.seen) all.add(c);
  const classes = [...all].sort((a, b) => a - b);
  const series = classes.map((c) =>
    t.map((r) => {
      const i = r.seen.indexOf(c);
      const v = i >= 0 ? r[field]?.[i] : undefined;
      return v !== undefined && Number.isFinite(v) ? v * scale : null;
    }),
  );
  return { classes, data: [t.map((r) => r.task + 1), ...series] };
}

/** Per-layer compression and sparsity of one task record, x = layer number (1-based). */
export function layerSeries(rec: TaskRecord | undefined): [number[], number[], number[]] {
  if (!rec) return [[], [], []];
  const n = Math.max(rec.layerCompression.length, rec.layerSparsity.length);
  const x = Array.from({ length: n }, (_, i) => i + 1);
  return [x, x.map((_, i) => rec.layerCompression[i] ?? Number.NaN), x.map((_, i) => rec.layerSparsity[i] ?? Number.NaN)];
}

export interface BaselineRow {
  key: string;
  label: string;
  /** accuracy on every class seen so far, 0–1 */
  value: number;
  /** the lab's from-memory accuracy minus this one, in points (null for the lab's own rows) */
  labMinus: number | null;
  /** 'lab': the lab's classifier; 'variant': the lab with old classes taken another way from memory; 'baseline' */
  kind: 'lab' | 'variant' | 'baseline';
}

/** What a task record may carry beside the lab's figures (runner: per task the frozen encoder, at the end the rest). */
const OTHERS: readonly [key: string, label: string, kind: 'variant' | 'baseline'][] = [
  ['frozenMemory', 'encoder frozen after the first task', 'baseline'],
  ['frozenLda', 'streaming LDA on the frozen encoder', 'baseline'],
  ['frozenNcm', 'nearest class mean on the frozen encoder', 'baseline'],
  ['noMemoryLastMemory', 'no memory replay · from memory', 'baseline'],
  ['noMemoryLastPaper', 'no memory replay · paper protocol', 'baseline'],
  ['randomEncoderLast', 'randomly initialised encoder', 'baseline'],
  ['rawPixelLast', 'nearest subspace on raw pixels', 'baseline'],
  ['accMemoryVectors', 'this lab, old classes from the stored memory vectors', 'variant'],
  ['accMemoryReplayed', 'this lab, old classes from replayed memory f(g(Z_mem))', 'variant'],
];

/** The latest task's accuracy beside every baseline it records: lab rows, baselines (with lab − baseline), variants. */
export function baselineRows(tasks: readonly TaskRecord[]): BaselineRow[] {
  const last = [...tasks].sort((a, b) => a.task - b.task).at(-1);
  if (!last) return [];
  const lab = last.accAllMemory;
  const rows: BaselineRow[] = [
    { key: 'labMemory', label: 'this lab · from memory', value: lab, labMinus: null, kind: 'lab' },
    { key: 'labPaper', label: 'this lab · paper protocol', value: last.accAllPaper, labMinus: null, kind: 'lab' },
  ];
  for (const kind of ['baseline', 'variant'] as const)
    for (const [key, label, k] of OTHERS) {
      const v = last.baselines?.[key];
      if (k === kind && v !== undefined && Number.isFinite(v)) rows.push({ key, label, value: v, labMinus: kind === 'baseline' ? (lab - v) * 100 : null, kind });
    }
  return rows.filter((r) => Number.isFinite(r.value));
}
