import { useEffect, useMemo, useState } from 'react';
import type uPlot from 'uplot';
import type { ExportFormat, ExportResult, ExportWhat, RunDetail, RunSummary, TaskRecord } from '../../../preload/api';
import { NotConnected } from '../components/NotConnected';
import { AXIS_STYLE, UPlotChart } from '../components/UPlotChart';
import { useLab } from '../context';
import { fmtDate, fmtPct } from '../lib/format';
import { accuracyCurves } from '../lib/knowledgeSeries';
import { RunGroups } from './RunGroups';

/** Every run in the store: open one read-only, compare two, resume, export, delete. */
export function RunBrowser({
  runs,
  refresh,
  openRun,
  connected,
}: {
  connected: boolean;
  runs: RunSummary[] | null;
  refresh: () => Promise<RunSummary[] | null>;
  openRun: (id: string) => Promise<void>;
}): React.JSX.Element {
  const { host, check, toast, store } = useLab();
  const [selected, setSelected] = useState<string[]>([]);
  const [confirmDelete, setConfirmDelete] = useState<string | null>(null);
  const [exporting, setExporting] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    void refresh();
  }, [refresh]);

  const toggleSel = (id: string): void =>
    setSelected((s) => (s.includes(id) ? s.filter((x) => x !== id) : [...s.slice(-1), id]));

  const del = async (id: string): Promise<void> => {
    setBusy(true);
    const r = await host.deleteRun(id);
    setBusy(false);
    setConfirmDelete(null);
    if (check(r, 'Could not delete the run')) {
      toast({ kind: 'success', title: `Deleted ${id}` });
      setSelected((s) => s.filter((x) => x !== id));
      if (store.getState().runId === id) store.dispatch({ type: 'reset' });
      void refresh();
    }
  };

  const resume = async (id: string): Promise<void> => {
    setBusy(true);
    const r = await host.resumeRun(id);
    setBusy(false);
    const v = check(r, 'Could not resume the run');
    if (v) {
      store.dispatch({ type: 'watch', runId: v.runId });
      await openRun(v.runId);
      void refresh();
    }
  };

  if (runs === null)
    return <div className="page">{connected ? <p className="muted">Loading runs…</p> : <NotConnected />}</div>;

  return (
    <div className="page runs" data-testid="run-browser">
      <div className="section-head">
        <h2>Runs</h2>
        <div className="btn-row">
          <span className="muted small">Select two runs to compare their knowledge curves.</span>
          <button className="btn small" onClick={() => void refresh()}>
            Refresh
          </button>
        </div>
      </div>
      <RunGroups runs={runs} />
      {runs.length === 0 ? (
        <div className="empty big">
          <h3>No runs yet</h3>
          <p>Runs you start in the Lab tab, or with <code>npm run lab -- train</code>, are stored in the runs folder and listed here with their status and accuracy. Open one to see every chart rebuilt from its files.</p>
        </div>
      ) : (
        <table className="runs-table">
          <thead>
            <tr>
              <th scope="col">
                <span className="sr-only">Compare</span>
              </th>
              <th scope="col">Run</th>
              <th scope="col">Status</th>
              <th scope="col">Dataset</th>
              <th scope="col">Preset</th>
              <th scope="col">Backend</th>
              <th scope="col">Tasks</th>
              <th scope="col" title="From memory (honest) · paper protocol">
                Last accuracy
              </th>
              <th scope="col">Updated</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => (
              <tr key={r.id} data-testid="run-row" data-run-id={r.id}>
                <td>
                  <input type="checkbox" checked={selected.includes(r.id)} onChange={() => toggleSel(r.id)} aria-label={`Compare ${r.name}`} />
                </td>
                <td>
                  <div className="run-name">{r.name}</div>
                  <div className="muted small mono">{r.id}</div>
                  {r.seed !== undefined && (
                    <div className="muted small" data-testid="run-seeds">
                      seed {r.seed}
                      {r.orderSeed !== null && r.orderSeed !== undefined ? ` · order seed ${r.orderSeed}` : ''}
                      {r.sweep ? ` · sweep ${r.sweep}` : ''}
                    </div>
                  )}
                  {r.settings?.length ? (
                    <div className="run-settings small" data-testid="run-settings" title={r.settings.join(' · ')}>
                      {r.settings.join(' · ')}
                    </div>
                  ) : null}
                </td>
                <td>
                  <span className={`pill status ${r.status}`}>{r.status}</span>
                </td>
                <td className="mono small" title={r.data}>
                  {r.data}
                </td>
                <td>{r.preset}</td>
                <td>{r.backend}</td>
                <td>
                  {r.tasksDone} / {r.tasksTotal}
                </td>
                <td>
                  {fmtPct(r.lastAccuracy)} <span className="muted">· {fmtPct(r.lastAccuracyPaper)}</span>
                </td>
                <td className="small">{fmtDate(r.updatedAt)}</td>
                <td className="actions">
                  {confirmDelete === r.id ? (
                    <span className="confirm" role="group" aria-label="Confirm delete">
                      <span className="small">Delete its files?</span>
                      <button className="btn small danger" disabled={busy} onClick={() => void del(r.id)}>
                        Delete
                      </button>
                      <button className="btn small ghost" onClick={() => setConfirmDelete(null)} autoFocus>
                        Cancel
                      </button>
                    </span>
                  ) : (
                    <>
                      <button className="btn small" onClick={() => void openRun(r.id)} data-testid="open-run">
                        Open
                      </button>
                      {(r.status === 'interrupted' || r.status === 'stopped') && (
                        <button className="btn small" disabled={busy} onClick={() => void resume(r.id)}>
                          Resume
                        </button>
                      )}
                      <button className="btn small" onClick={() => setExporting(exporting === r.id ? null : r.id)} aria-expanded={exporting === r.id}>
                        Export
                      </button>
                      <button className="btn small ghost" disabled={r.status === 'running' || r.status === 'paused'} onClick={() => setConfirmDelete(r.id)}>
                        Delete…
                      </button>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {exporting && <ExportBox runId={exporting} onClose={() => setExporting(null)} />}
      {selected.length === 2 && <Compare ids={selected as [string, string]} runs={runs} />}
    </div>
  );
}

function ExportBox({ runId, onClose }: { runId: string; onClose: () => void }): React.JSX.Element {
  const { host, check } = useLab();
  const [what, setWhat] = useState<ExportWhat>('all');
  const [format, setFormat] = useState<ExportFormat>('onnx');
  const [outDir, setOutDir] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<ExportResult | null>(null);
  // in the app, a folder outside the run's exports/ must be picked here (the engine exports only where the person chose)
  const pick = async (): Promise<void> => {
    const v = check(await host.pickPath('folder'), 'Could not open the picker');
    if (v) setOutDir(v);
  };
  const run = async (): Promise<void> => {
    setBusy(true);
    setResult(null);
    const r = await host.exportRun({ runId, what, format, ...(outDir.trim() ? { outDir: outDir.trim() } : {}) });
    setBusy(false);
    setResult(check(r, 'Export failed'));
  };
  return (
    <div className="panel export-box" role="region" aria-label={`Export ${runId}`}>
      <div className="panel-head">
        <h2>Export {runId}</h2>
        <button className="btn small ghost" onClick={onClose}>
          Close
        </button>
      </div>
      <div className="btn-row">
        <label className="compact">
          <span>What</span>
          <select value={what} onChange={(e) => setWhat(e.target.value as ExportWhat)}>
            <option value="all">everything</option>
            <option value="encoder">encoder</option>
            <option value="decoder">decoder</option>
            <option value="classifier">classifier</option>
            <option value="memory">memory</option>
          </select>
        </label>
        <label className="compact">
          <span>Format</span>
          <select value={format} onChange={(e) => setFormat(e.target.value as ExportFormat)}>
            <option value="onnx">ONNX</option>
            <option value="tfjs">TF.js</option>
          </select>
        </label>
        <label className="compact grow">
          <span>Folder</span>
          <input type="text" value={outDir} onChange={(e) => setOutDir(e.target.value)} placeholder="default: the run's exports/ folder" spellCheck={false} />
        </label>
        {host.kind === 'electron' && (
          <button className="btn small" onClick={() => void pick()}>
            Browse…
          </button>
        )}
        <button className="btn primary" disabled={busy} onClick={() => void run()}>
          {busy ? 'Exporting…' : 'Export'}
        </button>
      </div>
      {result && (
        <div className="export-result">
          <p>
            Wrote {result.files.length} files to <code>{result.outDir}</code>
          </p>
          <table className="mini">
            <thead>
              <tr>
                <th>model</th>
                <th>max |Δ| vs TF.js</th>
                <th>labels equal</th>
                <th>parity</th>
              </tr>
            </thead>
            <tbody>
              {result.parity.map((p) => (
                <tr key={p.model}>
                  <td>{p.model}</td>
                  <td>{p.maxAbsError.toExponential(2)}</td>
                  <td>{p.labelsEqual === null ? '—' : p.labelsEqual ? 'yes' : 'no'}</td>
                  <td className={p.ok ? 'ok' : 'bad'}>{p.ok ? 'ok' : 'FAILED'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function Compare({ ids, runs }: { ids: [string, string]; runs: RunSummary[] }): React.JSX.Element {
  const { host, check } = useLab();
  const [details, setDetails] = useState<(RunDetail | null)[]>([null, null]);
  useEffect(() => {
    let alive = true;
    void Promise.all(ids.map((id) => host.getRun(id))).then((rs) => {
      if (!alive) return;
      setDetails(rs.map((r) => check(r, 'Could not load a run to compare')));
    });
    return () => {
      alive = false;
    };
  }, [ids[0], ids[1]]); // eslint-disable-line react-hooks/exhaustive-deps

  const data = useMemo(() => {
    const tasksOf = (d: RunDetail | null): TaskRecord[] => (d ? d.knowledge.filter((k): k is TaskRecord => k.kind === 'task') : []);
    const a = accuracyCurves(tasksOf(details[0]));
    const b = accuracyCurves(tasksOf(details[1]));
    const xs = [...new Set([...a[0], ...b[0]])].sort((p, q) => p - q);
    const at = (c: typeof a, col: number) => xs.map((x) => {
      const i = c[0].indexOf(x);
      return i >= 0 ? (c[col][i] as number | null) : null;
    });
    return [xs, at(a, 1), at(a, 3), at(b, 1), at(b, 3)] as uPlot.AlignedData;
  }, [details]);

  const name = (id: string): string => runs.find((r) => r.id === id)?.name ?? id;
  // what each run was asked to do beyond a plain run, the settings the other one does not share first
  const settings = ids.map((id) => runs.find((r) => r.id === id)?.settings ?? []);
  const own = (i: 0 | 1): string[] => settings[i].filter((s) => !settings[1 - i].includes(s));
  const ready = details[0] && details[1];
  return (
    <div className="panel compare" aria-label="Compare runs">
      <div className="panel-head">
        <h2>
          Compare: <span className="cmp-a">{name(ids[0])}</span> <span className="muted small mono">{ids[0]}</span> vs{' '}
          <span className="cmp-b">{name(ids[1])}</span> <span className="muted small mono">{ids[1]}</span>
        </h2>
      </div>
      {(own(0).length > 0 || own(1).length > 0) && (
        <p className="small cmp-diff" data-testid="compare-diff">
          Only <span className="cmp-a">A</span>: {own(0).join(' · ') || '—'} · only <span className="cmp-b">B</span>: {own(1).join(' · ') || '—'}
        </p>
      )}
      {!ready ? (
        <p className="muted">Loading both runs…</p>
      ) : data[0].length === 0 ? (
        <div className="empty">Neither run has finished a task yet, so there is no knowledge curve to compare.</div>
      ) : (
        <UPlotChart
          specKey={`cmp:${ids.join(',')}`}
          label="Knowledge curves of two runs"
          testId="compare-chart"
          data={data}
          height={240}
          makeOptions={(w) => ({
            width: w,
            height: 240,
            scales: { x: { time: false }, y: { range: [0, 100] } },
            legend: { live: false },
            axes: [
              { ...AXIS_STYLE, label: 'task', incrs: [1, 2, 5, 10, 20, 50] },
              { ...AXIS_STYLE, label: 'accuracy (%) · memory protocol', size: 52 },
            ],
            series: [
              { label: 'task' },
              { label: `${ids[0]} · avg incremental`, stroke: '#4ea3ff', width: 2, points: { show: true } },
              { label: `${ids[0]} · last`, stroke: '#4ea3ff', width: 2, dash: [6, 4], points: { show: true } },
              { label: `${ids[1]} · avg incremental`, stroke: '#ff8c42', width: 2, points: { show: true } },
              { label: `${ids[1]} · last`, stroke: '#ff8c42', width: 2, dash: [6, 4], points: { show: true } },
            ],
          })}
        />
      )}
    </div>
  );
}
