import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { LabEvent, PresetInfo, Result, RunSummary, SystemInfo } from '../../preload/api';
import { LabContext, hintFor, type LabContextValue, type Toast } from './context';
import type { ConnectionState, Host } from './host/host';
import { Toasts } from './components/Toasts';
import { EngineBanner } from './components/EngineBanner';
import { LabScreen } from './panels/LabScreen';
import { RunBrowser } from './panels/RunBrowser';
import { SystemPanel } from './panels/SystemPanel';
import { initialRunState, runReducer } from './state/runState';
import { createStore } from './state/store';

type Tab = 'lab' | 'runs' | 'system';

export function App({ host }: { host: Host }): React.JSX.Element {
  const store = useMemo(() => createStore(runReducer, initialRunState()), []);
  const [tab, setTab] = useState<Tab>('lab');
  const [toasts, setToasts] = useState<Toast[]>([]);
  const [conn, setConn] = useState<ConnectionState>(host.connectionState());
  const [system, setSystem] = useState<SystemInfo | null>(null);
  const [systemError, setSystemError] = useState<string | null>(null);
  const [presets, setPresets] = useState<PresetInfo[] | null>(null);
  const [runs, setRuns] = useState<RunSummary[] | null>(null);
  const toastId = useRef(0);

  const toast = useCallback((t: Omit<Toast, 'id'>) => {
    const id = ++toastId.current;
    setToasts((ts) => [...ts.slice(-3), { ...t, id }]);
    if (t.kind !== 'error') setTimeout(() => setToasts((ts) => ts.filter((x) => x.id !== id)), 5000);
  }, []);

  const check = useCallback(
    <T,>(r: Result<T>, what: string): T | null => {
      if (r.ok) return r.value;
      toast({ kind: 'error', title: what, message: r.error.message, hint: hintFor(r.error) });
      return null;
    },
    [toast],
  );

  const ctx: LabContextValue = useMemo(() => ({ host, store, toast, check }), [host, store, toast, check]);

  const refreshRuns = useCallback(async () => {
    const r = await host.listRuns();
    if (r.ok) setRuns(r.value);
    return r.ok ? r.value : null;
  }, [host]);

  const loadSystem = useCallback(async () => {
    const [s, p] = await Promise.all([host.system(), host.presets()]);
    if (s.ok) {
      setSystem(s.value);
      setSystemError(null);
    } else setSystemError(`${s.error.message}${hintFor(s.error) ? ` — ${hintFor(s.error)}` : ''}`);
    if (p.ok) setPresets(p.value);
  }, [host]);

  // Engine events feed the run store; run-level status changes also refresh the run list.
  useEffect(() => {
    let pending: ReturnType<typeof setTimeout> | null = null;
    const off = host.onEvent((e: LabEvent) => {
      store.dispatch({ type: 'event', event: e });
      if (e.type === 'run-status' || e.type === 'task-result' || (e.type === 'engine' && e.state === 'restarted')) {
        if (!pending) pending = setTimeout(() => ((pending = null), void refreshRuns()), 400);
      }
      if (e.type === 'log' && e.level === 'error') toast({ kind: 'error', title: 'Engine error', message: e.message });
      if (e.type === 'run-status' && e.status === 'failed') {
        toast({ kind: 'error', title: 'Run failed', message: e.message ?? 'The run stopped with an error.', hint: 'Open the run in the Runs tab to see how far it got; resume it or start a new one.' });
      }
    });
    return () => {
      off();
      if (pending) clearTimeout(pending);
    };
  }, [host, store, refreshRuns, toast]);

  // (Re)load everything whenever the connection (re)opens: a restarted server has a fresh engine.
  useEffect(() => {
    return host.onConnection((s) => {
      setConn(s);
      if (s === 'open') {
        void loadSystem();
        void refreshRuns().then((list) => {
          // a run already in progress (page reload, second window) is shown live at once
          const active = list?.find((r) => r.status === 'running' || r.status === 'paused');
          const st = store.getState();
          if (active && (st.mode === 'idle' || (st.mode === 'live' && st.runId === null))) {
            store.dispatch({ type: 'watch', runId: active.id });
            void host.getRun(active.id).then((d) => d.ok && store.dispatch({ type: 'load', detail: d.value, mode: 'live' }));
          } else if (st.mode === 'live' && st.runId !== null) {
            // reconnected (e.g. the server restarted): events were missed, so re-read the run's files;
            // a run that is no longer training is shown as saved
            const id = st.runId;
            void host.getRun(id).then((d) => {
              if (!d.ok || store.getState().runId !== id) return;
              const live = d.value.summary.status === 'running' || d.value.summary.status === 'paused';
              store.dispatch({ type: 'load', detail: d.value, mode: live ? 'live' : 'readonly' });
            });
          }
        });
      }
    });
  }, [host, loadSystem, refreshRuns, store]);

  const openRun = useCallback(
    async (runId: string) => {
      const d = await host.getRun(runId);
      const detail = check(d, 'Could not open the run');
      if (!detail) return;
      const live = detail.summary.status === 'running' || detail.summary.status === 'paused';
      if (live) store.dispatch({ type: 'watch', runId });
      store.dispatch({ type: 'load', detail, mode: live ? 'live' : 'readonly' });
      setTab('lab');
    },
    [host, store, check],
  );

  return (
    <LabContext.Provider value={ctx}>
      <div className="app">
        <header className="topbar">
          <div className="brand" aria-label="CRATE Lab">
            <span className="brand-mark" aria-hidden="true" />
            CRATE Lab
          </div>
          <nav className="tabs" role="tablist" aria-label="Screens">
            {(
              [
                ['lab', 'Lab'],
                ['runs', 'Runs'],
                ['system', 'System'],
              ] as const
            ).map(([id, label]) => (
              <button
                key={id}
                role="tab"
                id={`tab-${id}`}
                aria-selected={tab === id}
                aria-controls={`panel-${id}`}
                className={tab === id ? 'tab active' : 'tab'}
                onClick={() => {
                  setTab(id);
                  if (id === 'runs') void refreshRuns();
                }}
              >
                {label}
              </button>
            ))}
          </nav>
          <div className="topbar-right">
            <ConnectionPill state={conn} kind={host.kind} />
          </div>
        </header>
        <EngineBanner />
        {/* the lab stays mounted while hidden: the 3D scene and charts keep their state (no remount) */}
        <main className="screen" id="panel-lab" role="tabpanel" aria-labelledby="tab-lab" hidden={tab !== 'lab'}>
          <LabScreen system={system} presets={presets} onRunsChanged={refreshRuns} visible={tab === 'lab'} />
        </main>
        {tab === 'runs' && (
          <main className="screen" id="panel-runs" role="tabpanel" aria-labelledby="tab-runs">
            <RunBrowser runs={runs} refresh={refreshRuns} openRun={openRun} connected={conn === 'open'} />
          </main>
        )}
        {tab === 'system' && (
          <main className="screen" id="panel-system" role="tabpanel" aria-labelledby="tab-system">
            <SystemPanel system={system} error={systemError} reload={loadSystem} connected={conn === 'open'} />
          </main>
        )}
        <Toasts toasts={toasts} dismiss={(id) => setToasts((ts) => ts.filter((t) => t.id !== id))} />
      </div>
    </LabContext.Provider>
  );
}

function ConnectionPill({ state, kind }: { state: ConnectionState; kind: Host['kind'] }): React.JSX.Element {
  const label =
    kind === 'electron' ? 'Desktop' : kind === 'memory' ? 'Simulated lab' : state === 'open' ? 'Connected' : state === 'closed' ? 'Disconnected' : 'Reconnecting…';
  const cls = state === 'open' ? 'ok' : state === 'closed' ? 'bad' : 'warn';
  return (
    <span className={`pill conn ${cls}`} role="status" title={kind === 'web' ? 'WebSocket to crate-lab serve' : undefined}>
      <span className="dot" aria-hidden="true" />
      {label}
    </span>
  );
}
