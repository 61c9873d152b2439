import { useMemo, useState } from 'react';
import type uPlot from 'uplot';
import type { TaskRecord } from '../../../preload/api';
import { ColorBar, HeatmapCanvas } from '../components/Heatmap';
import { AXIS_STYLE, UPlotChart } from '../components/UPlotChart';
import { useLab } from '../context';
import { classCss } from '../lib/classColors';
import { rgbCss, scaleValue, textOn, viridis } from '../lib/colorScale';
import { className, fmtPct } from '../lib/format';
import { absGram } from '../lib/gram';
import { accuracyCurves, accuracyMatrix, baselineRows, layerSeries, loopFidelityCurves, perClassOverTasks, type PerClassField, type Protocol } from '../lib/knowledgeSeries';
import { decodeWireTensor } from '../lib/wireTensor';
import type { StepSeries } from '../state/runState';
import { useStoreSelector } from '../state/useStore';

/** The knowledge-growth log: how accuracy, forgetting and the geometry of the classes evolve, task by task. */
export function KnowledgeLog(): React.JSX.Element {
  const { store } = useLab();
  const tasks = useStoreSelector(store, (s) => s.tasks);
  const steps = useStoreSelector(store, (s) => s.steps);
  const names = useStoreSelector(store, (s) => s.classNames);
  const [protocol, setProtocol] = useState<Protocol>('memory');
  return (
    <section className="knowledge" aria-label="Knowledge-growth log">
      <div className="section-head">
        <h2>Knowledge-growth log</h2>
        <div className="seg small" role="radiogroup" aria-label="Accuracy protocol">
          {(['memory', 'paper'] as const).map((p) => (
            <label key={p} className={protocol === p ? 'on' : ''} title={p === 'memory' ? 'Classifier fitted on the structured memory only (honest)' : 'Classifier refitted on training images (as in the paper)'}>
              <input type="radio" name="protocol" checked={protocol === p} onChange={() => setProtocol(p)} />
              {p === 'memory' ? 'From memory' : 'Paper protocol'}
            </label>
          ))}
        </div>
      </div>
      <div className="chart-grid">
        <Card title="Accuracy matrix" sub="task (row) × class (column), test accuracy" wide>
          <AccuracyMatrixView tasks={tasks} names={names} protocol={protocol} />
        </Card>
        <Card title="Accuracy over tasks" sub="average incremental and last accuracy, %">
          <AccuracyCurves tasks={tasks} />
        </Card>
        <Card title="Against the baselines" sub="latest task, every class seen so far; lab − baseline in points; last, the lab's other ways of reading its memory">
          <BaselineTable tasks={tasks} />
        </Card>
        <Card title="Loop fidelity" sub="does what the decoder draws come back as its class? every seen class, %">
          <LoopFidelityCurves tasks={tasks} />
        </Card>
        <Card title="Forgetting per class" sub="best earlier accuracy minus now, % (memory protocol)">
          <PerClassChart tasks={tasks} names={names} field="forgetting" scale={100} unit="%" yLabel="forgetting (%)" />
        </Card>
        <Card title="Closed-loop objective per step" sub="T and the two players' losses, nats">
          <StepChart steps={steps} />
        </Card>
        <Card title="Rank per class" sub="principal directions holding 90 % of each class's feature energy">
          <PerClassChart tasks={tasks} names={names} field="rank" scale={1} unit="" yLabel="rank" />
        </Card>
        <Card title="Coding rate per class" sub="R(Z_k, ε), nats">
          <PerClassChart tasks={tasks} names={names} field="codingRate" scale={1} unit=" nats" yLabel="coding rate (nats)" />
        </Card>
        <Card title="Principal angles between classes" sub="cos of the smallest angle, last task (0 = orthogonal)">
          <AngleMatrix tasks={tasks} names={names} />
        </Card>
        <Card title="|ZᵀZ| of the snapshot" sub="absolute cosine between samples, ordered by class">
          <GramView />
        </Card>
        <Card title="Encoder layers" sub="per-layer compression (coding rate drop) and sparsity, last task">
          <LayerChart tasks={tasks} />
        </Card>
      </div>
    </section>
  );
}

function Card({ title, sub, wide, children }: { title: string; sub: string; wide?: boolean; children: React.ReactNode }): React.JSX.Element {
  return (
    <div className={`card${wide ? ' wide' : ''}`}>
      <h3>{title}</h3>
      <p className="sub">{sub}</p>
      {children}
    </div>
  );
}

function Empty({ children }: { children: React.ReactNode }): React.JSX.Element {
  return <div className="empty chart-empty">{children}</div>;
}

const NO_TASK = 'Appears when the first task finishes: the lab then tests every class it has seen.';

function AccuracyMatrixView({ tasks, names, protocol }: { tasks: TaskRecord[]; names: string[]; protocol: Protocol }): React.JSX.Element {
  const m = useMemo(() => accuracyMatrix(tasks, protocol), [tasks, protocol]);
  if (m.rows.length === 0) return <Empty>{NO_TASK}</Empty>;
  return (
    <div className="acc-matrix-wrap">
      <table className="acc-matrix" data-testid="acc-matrix">
        <thead>
          <tr>
            <th scope="col">task</th>
            {m.classes.map((c) => (
              <th key={c} scope="col">
                <span className="swatch" style={{ background: classCss(c) }} />
                {className(names, c)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {m.rows.map((r) => (
            <tr key={r.task} data-testid="acc-row">
              <th scope="row">{r.task + 1}</th>
              {r.cells.map((v, i) => {
                if (v === null) return <td key={i} className="na" aria-label="not seen yet" />;
                const rgb = viridis(scaleValue(v, 0, 1));
                return (
                  <td key={i} style={{ background: rgbCss(rgb), color: textOn(rgb) }} title={`${className(names, m.classes[i])} after task ${r.task + 1}: ${fmtPct(v)}`}>
                    {(v * 100).toFixed(0)}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
      <ColorBar lo="0%" hi="100%" />
    </div>
  );
}

function BaselineTable({ tasks }: { tasks: TaskRecord[] }): React.JSX.Element {
  const rows = useMemo(() => baselineRows(tasks), [tasks]);
  if (rows.length === 0) return <Empty>{NO_TASK}</Empty>;
  return (
    <table className="baselines" data-testid="baselines">
      <tbody>
        {rows.map((r) => (
          <tr key={r.key} data-testid="baseline-row" className={`row-${r.kind}`}>
            <th scope="row">{r.label}</th>
            <td>{fmtPct(r.value)}</td>
            <td className={r.labMinus === null ? 'muted' : r.labMinus >= 0 ? 'ok' : 'bad'}>
              {r.labMinus === null ? '' : `${r.labMinus >= 0 ? '+' : '−'}${Math.abs(r.labMinus).toFixed(1)}`}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function lineSeries(label: string, color: string, dash?: number[], unit = ''): uPlot.Series {
  return {
    label,
    stroke: color,
    width: 2,
    dash,
    points: { show: true, size: 5 },
    spanGaps: false,
    value: (_u, v) => (v === null || v === undefined ? '—' : `${Number(v).toFixed(2)}${unit}`),
  };
}

function baseOptions(width: number, xLabel: string, yLabel: string, series: uPlot.Series[], extra: Partial<uPlot.Options> = {}): uPlot.Options {
  return {
    width,
    height: 200,
    // values stay out of the legend so it never changes height while the cursor moves
    legend: { show: true, live: false },
    cursor: { drag: { x: true, y: false } },
    scales: { x: { time: false } },
    axes: [
      { ...AXIS_STYLE, label: xLabel, size: 36, ...(xLabel === 'task' || xLabel === 'layer' ? { incrs: [1, 2, 5, 10, 20, 50] } : {}) },
      { ...AXIS_STYLE, label: yLabel, size: 52 },
    ],
    series: [{ label: xLabel }, ...series],
    ...extra,
  };
}

/** One line per figure over tasks, in percent (0–100): the accuracy curves and the loop-fidelity curves share it. */
function PercentOverTasks(props: { specKey: string; label: string; testId: string; yLabel: string; data: uPlot.AlignedData; lines: Array<[string, string, number[] | undefined]> }): React.JSX.Element {
  const { specKey, label, testId, yLabel, data, lines } = props;
  return (
    <UPlotChart
      specKey={specKey}
      label={label}
      testId={testId}
      data={data}
      makeOptions={(w) =>
        baseOptions(
          w,
          'task',
          yLabel,
          lines.map(([name, color, dash]) => lineSeries(name, color, dash, '%')),
          { scales: { x: { time: false }, y: { range: [0, 100] } } },
        )
      }
    />
  );
}

const FIDELITY_LINES: Array<[string, string, number[] | undefined]> = [
  ['reconstruction f(g(f(x)))', '#4ea3ff', undefined],
  ['decoded memory f(g(z))', '#ff8c42', undefined],
  ['pixel judge on g(z)', '#5fd38d', [6, 4]],
];

const ACCURACY_LINES: Array<[string, string, number[] | undefined]> = [
  ['avg incremental · memory', '#4ea3ff', undefined],
  ['avg incremental · paper', '#4ea3ff', [6, 4]],
  ['last · memory', '#ff8c42', undefined],
  ['last · paper', '#ff8c42', [6, 4]],
];

function LoopFidelityCurves({ tasks }: { tasks: TaskRecord[] }): React.JSX.Element {
  const data = useMemo(() => loopFidelityCurves(tasks) as uPlot.AlignedData, [tasks]);
  if (tasks.length === 0) return <Empty>{NO_TASK}</Empty>;
  if (!tasks.some((t) => t.loopFidelity)) return <Empty>This run was recorded before the lab measured loop fidelity.</Empty>;
  return <PercentOverTasks specKey="loop-fidelity" label="Loop fidelity over tasks" testId="chart-loop-fidelity" yLabel="recognised (%)" data={data} lines={FIDELITY_LINES} />;
}

function AccuracyCurves({ tasks }: { tasks: TaskRecord[] }): React.JSX.Element {
  const data = useMemo(() => accuracyCurves(tasks) as uPlot.AlignedData, [tasks]);
  if (tasks.length === 0) return <Empty>{NO_TASK}</Empty>;
  return <PercentOverTasks specKey="acc" label="Average incremental and last accuracy over tasks" testId="chart-accuracy" yLabel="accuracy (%)" data={data} lines={ACCURACY_LINES} />;
}

function PerClassChart({ tasks, names, field, scale, unit, yLabel }: { tasks: TaskRecord[]; names: string[]; field: PerClassField; scale: number; unit: string; yLabel: string }): React.JSX.Element {
  const { classes, data } = useMemo(() => perClassOverTasks(tasks, field, scale), [tasks, field, scale]);
  if (tasks.length === 0) return <Empty>{NO_TASK}</Empty>;
  return (
    <UPlotChart
      specKey={`${field}:${classes.join(',')}:${names.length}`}
      label={`${yLabel} per class over tasks`}
      data={data as uPlot.AlignedData}
      makeOptions={(w) => baseOptions(w, 'task', yLabel, classes.map((c) => lineSeries(className(names, c), classCss(c), undefined, unit)))}
    />
  );
}

function StepChart({ steps }: { steps: StepSeries }): React.JSX.Element {
  const hasDelta = steps.deltaRZ.some((v) => v !== null);
  const data = useMemo(
    () => (hasDelta ? [steps.step, steps.T, steps.lossEncoder, steps.lossDecoder, steps.deltaRZ, steps.deltaRZhat] : [steps.step, steps.T, steps.lossEncoder, steps.lossDecoder]) as uPlot.AlignedData,
    [steps, hasDelta],
  );
  if (steps.step.length < 2) return <Empty>Appears once training steps are logged.</Empty>;
  return (
    <UPlotChart
      specKey={`steps:${hasDelta}`}
      label="T and losses per training step"
      testId="chart-steps"
      data={data}
      makeOptions={(w) =>
        baseOptions(
          w,
          'step',
          'nats',
          [
            { ...lineSeries('T', '#5ad67a'), points: { show: false } },
            { ...lineSeries('loss f (−T)', '#4ea3ff'), points: { show: false }, width: 1 },
            { ...lineSeries('loss g (T)', '#ff8c42'), points: { show: false }, width: 1, dash: [4, 3] },
            ...(hasDelta
              ? [
                  { ...lineSeries('ΔR(Z)', '#b284ff'), points: { show: false }, width: 1 },
                  { ...lineSeries('ΔR(Ẑ)', '#ff79c6'), points: { show: false }, width: 1 },
                ]
              : []),
          ],
        )
      }
    />
  );
}

function LayerChart({ tasks }: { tasks: TaskRecord[] }): React.JSX.Element {
  const last = tasks[tasks.length - 1];
  const data = useMemo(() => layerSeries(last) as uPlot.AlignedData, [last]);
  if (!last) return <Empty>{NO_TASK}</Empty>;
  if (data[0].length === 0) return <Empty>This run did not record per-layer statistics.</Empty>;
  return (
    <UPlotChart
      specKey={`layers:${data[0].length}`}
      label="Per-layer compression and sparsity"
      data={data}
      makeOptions={(w) => ({
        ...baseOptions(w, 'layer', 'compression (nats)', [
          { ...lineSeries('compression', '#4ea3ff'), scale: 'y' },
          { ...lineSeries('sparsity (fraction of zeros)', '#ffd64f'), scale: 'sp' },
        ]),
        scales: { x: { time: false }, sp: { range: [0, 1] } },
        axes: [
          { ...AXIS_STYLE, label: 'layer', size: 36, incrs: [1] },
          { ...AXIS_STYLE, label: 'compression (nats)', size: 52 },
          { ...AXIS_STYLE, label: 'sparsity', side: 1, scale: 'sp', size: 46, grid: { show: false } },
        ],
      })}
    />
  );
}

function AngleMatrix({ tasks, names }: { tasks: TaskRecord[]; names: string[] }): React.JSX.Element {
  const last = tasks[tasks.length - 1];
  if (!last || last.subspaceCos.length === 0) return <Empty>{NO_TASK}</Empty>;
  const k = last.seen.length;
  return (
    <div className="angle-matrix-wrap">
      <table className="angle-matrix" aria-label="Principal-angle cosines between class subspaces">
        <thead>
          <tr>
            <th />
            {last.seen.map((c) => (
              <th key={c} scope="col">
                {className(names, c)}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {last.seen.map((a, i) => (
            <tr key={a}>
              <th scope="row">{className(names, a)}</th>
              {Array.from({ length: k }, (_, j) => {
                const v = last.subspaceCos[i]?.[j] ?? Number.NaN;
                const rgb = viridis(scaleValue(v, 0, 1));
                return (
                  <td key={j} style={{ background: rgbCss(rgb), color: textOn(rgb) }} title={`cos θ(${className(names, a)}, ${className(names, last.seen[j])}) = ${Number.isFinite(v) ? v.toFixed(3) : '—'}`}>
                    {k <= 12 && Number.isFinite(v) ? v.toFixed(2) : ''}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
      <ColorBar lo="0" hi="1" unit="cos θ" />
    </div>
  );
}

function GramView(): React.JSX.Element {
  const { store } = useLab();
  const snapshot = useStoreSelector(store, (s) => s.snapshot);
  const names = useStoreSelector(store, (s) => s.classNames);
  const gram = useMemo(() => {
    if (!snapshot) return null;
    try {
      const f = decodeWireTensor(snapshot.features, 'snapshot features');
      return absGram(f.data, f.shape[0], f.shape[1], snapshot.labels, 600);
    } catch {
      return null;
    }
  }, [snapshot]);
  if (!gram) return <Empty>Appears with the first feature snapshot of a live run.</Empty>;
  return (
    <div className="gram">
      <div className="gram-box">
        <HeatmapCanvas values={gram.values} rows={gram.m} cols={gram.m} lo={0} hi={1} label="|ZᵀZ| heatmap" testId="gram" />
        <div className="gram-ticks" aria-hidden="true">
          {gram.blocks.map((b) => (
            <span key={b.cls} style={{ top: `${((b.start + b.count / 2) / gram.m) * 100}%`, color: classCss(b.cls) }}>
              {className(names, b.cls)}
            </span>
          ))}
        </div>
      </div>
      <ColorBar lo="0" hi="1" unit={`|cos|, ${gram.m} samples`} />
    </div>
  );
}
