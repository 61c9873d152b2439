import { useState } from 'react';
import type { ControlRequest } from '../../../preload/api';
import { useLab } from '../context';
import { fmtPct } from '../lib/format';
import { useStoreSelector } from '../state/useStore';

/** Controls of the run on screen. Buttons are enabled only in states where the engine accepts them. */
export function RunControls({ onNewRun, onChanged }: { onNewRun: () => void; onChanged: () => void }): React.JSX.Element {
  const { host, store, check, toast } = useLab();
  const runId = useStoreSelector(store, (s) => s.runId);
  const status = useStoreSelector(store, (s) => s.status);
  const mode = useStoreSelector(store, (s) => s.mode);
  const summary = useStoreSelector(store, (s) => s.summary);
  const config = useStoreSelector(store, (s) => s.config);
  const tasks = useStoreSelector(store, (s) => s.tasks);
  const [busy, setBusy] = useState<string | null>(null);
  const [steps, setSteps] = useState('10');
  const [autonomous, setAutonomous] = useState<boolean>((config?.autonomous as boolean | undefined) ?? true);
  const [watchDir, setWatchDir] = useState<string>((config?.watchDir as string | undefined) ?? '');
  const [confirmStop, setConfirmStop] = useState(false);

  const live = mode === 'live';
  const running = live && status === 'running';
  const paused = live && status === 'paused';
  const resumable = status === 'interrupted' || status === 'stopped';

  const send = async (action: ControlRequest['action'], extra: Partial<ControlRequest> = {}): Promise<void> => {
    if (!runId) return;
    setBusy(action);
    const r = await host.control({ runId, action, ...extra });
    setBusy(null);
    const v = check(r, `Could not ${action === 'nextTask' ? 'move to the next task' : action} the run`);
    if (v) {
      store.dispatch({ type: 'event', event: { type: 'run-status', runId: v.runId, status: v.status } });
      onChanged();
    }
  };

  const resume = async (): Promise<void> => {
    if (!runId) return;
    setBusy('resume');
    const r = await host.resumeRun(runId);
    setBusy(null);
    const v = check(r, 'Could not resume the run');
    if (v) {
      store.dispatch({ type: 'watch', runId: v.runId });
      const d = await host.getRun(v.runId);
      if (d.ok) store.dispatch({ type: 'load', detail: d.value, mode: 'live' });
      toast({ kind: 'success', title: 'Run resumed from its last checkpoint' });
      onChanged();
    }
  };

  const last = tasks[tasks.length - 1];
  const stepsN = Number(steps);
  const stepsOk = Number.isInteger(stepsN) && stepsN >= 1 && stepsN <= 100000;

  return (
    <div className="panel controls" aria-label="Run controls">
      <div className="panel-head">
        <h2>{summary?.name ?? (runId ? runId : 'Starting run…')}</h2>
      </div>
      {summary && (
        <dl className="kv">
          <dt>Dataset</dt>
          <dd title={summary.data}>{summary.data}</dd>
          <dt>Preset</dt>
          <dd>{summary.preset}</dd>
          <dt>Backend</dt>
          <dd>{summary.backend}</dd>
          <dt>Last accuracy</dt>
          <dd>
            {fmtPct(last?.accAllMemory ?? summary.lastAccuracy)} <span className="muted">memory</span> · {fmtPct(last?.accAllPaper ?? summary.lastAccuracyPaper)}{' '}
            <span className="muted">paper</span>
          </dd>
        </dl>
      )}

      {mode === 'readonly' ? (
        <div className="readonly-note">
          <p>This is a saved run, opened read-only: every chart is rebuilt from its files.</p>
          {resumable && (
            <button className="btn primary" disabled={busy !== null} onClick={() => void resume()}>
              Resume from last checkpoint
            </button>
          )}
        </div>
      ) : !(running || paused) ? (
        <div className="readonly-note" role="status">
          <p>
            {status === 'finished'
              ? 'The curriculum is done: every task has been learned. Open the Runs tab to export the model or compare it with other runs.'
              : status === 'failed'
                ? 'The run stopped with an error (see the message above the charts). Resume it from its last checkpoint or start a new experiment.'
                : status === 'interrupted' || status === 'stopped'
                  ? 'The run is not training. Resume it from its last checkpoint, or start a new experiment.'
                  : 'Waiting for the engine to report the run…'}
          </p>
          {resumable && (
            <button className="btn primary" disabled={busy !== null} onClick={() => void resume()}>
              Resume from last checkpoint
            </button>
          )}
        </div>
      ) : (
        <>
          <div className="btn-row">
            {running ? (
              <button className="btn" disabled={busy !== null} onClick={() => void send('pause')} data-testid="pause">
                Pause
              </button>
            ) : (
              <button className="btn" disabled={busy !== null || !paused} onClick={() => void send('resume')} data-testid="resume">
                Resume
              </button>
            )}
            {confirmStop ? (
              <>
                <button
                  className="btn danger"
                  onClick={() => {
                    setConfirmStop(false);
                    void send('stop');
                  }}
                >
                  Stop now
                </button>
                <button className="btn ghost" onClick={() => setConfirmStop(false)} autoFocus>
                  Keep running
                </button>
              </>
            ) : (
              <button className="btn" disabled={busy !== null || !(running || paused)} onClick={() => setConfirmStop(true)} data-testid="stop">
                Stop…
              </button>
            )}
          </div>
          <div className="btn-row">
            <label className="compact">
              <span className="sr-only">Steps</span>
              <input type="number" min={1} value={steps} onChange={(e) => setSteps(e.target.value)} aria-label="Steps to run" aria-invalid={!stepsOk} />
            </label>
            <button
              className="btn"
              disabled={busy !== null || !paused || !stepsOk}
              title={paused ? undefined : 'Pause the run to step it'}
              onClick={() => void send('step', { steps: stepsN })}
            >
              Step
            </button>
            <button className="btn" disabled={busy !== null || !(running || paused)} onClick={() => void send('nextTask')} title="Finish the current task now and move to the next one">
              Learn next task now
            </button>
          </div>
          <fieldset className="auto">
            <legend>Autonomous mode</legend>
            <label className="check">
              <input
                type="checkbox"
                checked={autonomous}
                disabled={!(running || paused)}
                onChange={(e) => {
                  setAutonomous(e.target.checked);
                  void send('autonomous', { enabled: e.target.checked, ...(watchDir.trim() ? { watchDir: watchDir.trim() } : {}) });
                }}
              />
              Run the curriculum unattended
            </label>
            <div className="inline">
              <input type="text" value={watchDir} onChange={(e) => setWatchDir(e.target.value)} placeholder="watched folder for new classes" aria-label="Watched folder" spellCheck={false} />
              <button
                className="btn small"
                disabled={!(running || paused) || !watchDir.trim()}
                onClick={() => void send('autonomous', { enabled: autonomous, watchDir: watchDir.trim() })}
              >
                Watch
              </button>
            </div>
          </fieldset>
        </>
      )}
      <button className="btn ghost wide" onClick={onNewRun} data-testid="new-run">
        New experiment…
      </button>
    </div>
  );
}
