import { useEffect, useMemo, useRef, useState } from 'react';
import type { BackendChoice, DataInspectResult, PresetInfo, StartRunRequest, SystemInfo } from '../../../preload/api';
import { hintFor, useLab } from '../context';
import { DECODER_PHASE_EPOCHS, sweepSeeds, validateSetup, type SetupForm } from '../lib/setupValidation';

const BUILTINS = [{ spec: 'builtin:digits', label: 'Digits (MNIST, 10,000 images)' }];
const PATH_KINDS = [
  { kind: 'idx', label: 'IDX folder (MNIST / Fashion-MNIST)' },
  { kind: 'cifar', label: 'CIFAR-10 binary folder' },
  { kind: 'folder', label: 'Image folder (one sub-folder per class)' },
  { kind: 'npy', label: 'NumPy .npy/.npz file' },
] as const;

type InspectState = { spec: string; busy: boolean; result: DataInspectResult | null; error: string | null };

/** Experiment setup: pick data and look at it, pick model and compute, then start. */
export function SetupPanel({
  system,
  presets,
  onStarted,
  onCancel,
}: {
  system: SystemInfo | null;
  presets: PresetInfo[] | null;
  onStarted: () => void;
  onCancel?: () => void;
}): React.JSX.Element {
  const { host, store, check } = useLab();
  const [form, setForm] = useState<SetupForm>({
    source: 'builtin',
    builtin: BUILTINS[0].spec,
    pathKind: 'folder',
    path: '',
    preset: 'mnist-s', // the CLI's default; `tiny` is for tests and smoke checks
    backend: 'auto',
    classesPerTask: '2',
    seed: '10', // the CLI's default seed
    seeds: '',
    orderSeed: '',
    quick: true,
    autonomous: true,
    decoderPhase: false,
    watchDir: '',
    name: '',
  });
  const [inspect, setInspect] = useState<InspectState>({ spec: '', busy: false, result: null, error: null });
  const [starting, setStarting] = useState(false);
  const [touched, setTouched] = useState(false);
  const inspectSeq = useRef(0);

  const spec = form.source === 'builtin' ? form.builtin : form.path.trim() ? `${form.pathKind}:${form.path.trim()}` : '';
  const numClasses = inspect.spec === spec ? inspect.result?.classes.length ?? null : null;
  const errors = useMemo(() => validateSetup(form, numClasses, presets?.map((p) => p.name) ?? null), [form, numClasses, presets]);
  const set = <K extends keyof SetupForm>(k: K, v: SetupForm[K]): void => setForm((f) => ({ ...f, [k]: v }));

  useEffect(() => {
    if (presets && presets.length && !presets.some((p) => p.name === form.preset)) set('preset', presets[0].name);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [presets]);

  const runInspect = async (s: string): Promise<void> => {
    if (!s) return;
    const seq = ++inspectSeq.current;
    setInspect({ spec: s, busy: true, result: null, error: null });
    const r = await host.inspectData(s);
    if (seq !== inspectSeq.current) return; // a newer request superseded this one
    if (r.ok) setInspect({ spec: s, busy: false, result: r.value, error: null });
    else setInspect({ spec: s, busy: false, result: null, error: `${r.error.message}${hintFor(r.error) ? ` ${hintFor(r.error)}` : ''}` });
  };

  // built-in datasets are inspected as soon as they are picked; a typed path waits for the button
  useEffect(() => {
    if (form.source === 'builtin') void runInspect(form.builtin);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [form.source, form.builtin]);

  const pick = async (): Promise<void> => {
    const r = await host.pickPath(form.pathKind === 'npy' ? 'file' : 'folder');
    const v = check(r, 'Could not open the picker');
    if (v) set('path', v);
  };

  const pickWatch = async (): Promise<void> => {
    const r = await host.pickPath('folder');
    const v = check(r, 'Could not open the picker');
    if (v) set('watchDir', v);
  };

  const start = async (): Promise<void> => {
    setTouched(true);
    if (Object.keys(errors).length || !spec) return;
    setStarting(true);
    const req: StartRunRequest = {
      data: spec,
      preset: form.preset,
      backend: form.backend,
      classesPerTask: Number(form.classesPerTask),
      seed: Number(form.seed),
      ...(form.orderSeed.trim() ? { orderSeed: Number(form.orderSeed) } : {}),
      quick: form.quick,
      autonomous: form.autonomous,
      ...(form.decoderPhase ? { decoderEpochs: DECODER_PHASE_EPOCHS } : {}),
      ...(form.watchDir.trim() ? { watchDir: form.watchDir.trim() } : {}),
      ...(form.name.trim() ? { name: form.name.trim() } : {}),
    };
    store.dispatch({ type: 'watch', runId: null });
    const seeds = sweepSeeds(form);
    const r = seeds.length ? await host.startSweep({ run: req, seeds }) : await host.startRun(req);
    setStarting(false);
    const v = check(r, seeds.length ? 'The sweep did not start' : 'The run did not start');
    if (!v) {
      store.dispatch({ type: 'reset' });
      return;
    }
    store.dispatch({ type: 'watch', runId: v.runId });
    const d = await host.getRun(v.runId);
    if (d.ok && store.getState().runId === v.runId) store.dispatch({ type: 'load', detail: d.value, mode: 'live' });
    onStarted();
  };

  const show = (k: keyof SetupForm): string | undefined => (touched || k !== 'path' ? errors[k] : undefined);
  const preset = presets?.find((p) => p.name === form.preset);
  const isElectron = host.kind === 'electron';

  return (
    <form
      className="panel setup"
      aria-label="New experiment"
      onSubmit={(e) => {
        e.preventDefault();
        void start();
      }}
      noValidate
    >
      <div className="panel-head">
        <h2>New experiment</h2>
        {onCancel && (
          <button type="button" className="btn small ghost" onClick={onCancel}>
            Back to run
          </button>
        )}
      </div>

      <fieldset>
        <legend>Dataset</legend>
        <div className="seg" role="radiogroup" aria-label="Dataset source">
          <label className={form.source === 'builtin' ? 'on' : ''}>
            <input type="radio" name="source" checked={form.source === 'builtin'} onChange={() => set('source', 'builtin')} />
            Built-in
          </label>
          <label className={form.source === 'path' ? 'on' : ''}>
            <input type="radio" name="source" checked={form.source === 'path'} onChange={() => set('source', 'path')} />
            From disk
          </label>
        </div>
        {form.source === 'builtin' ? (
          <label className="field-row">
            <span>Built-in dataset</span>
            <select value={form.builtin} onChange={(e) => set('builtin', e.target.value)} data-testid="builtin-select">
              {BUILTINS.map((b) => (
                <option key={b.spec} value={b.spec}>
                  {b.label}
                </option>
              ))}
            </select>
          </label>
        ) : (
          <>
            <label className="field-row">
              <span>Format</span>
              <select value={form.pathKind} onChange={(e) => set('pathKind', e.target.value as SetupForm['pathKind'])}>
                {PATH_KINDS.map((k) => (
                  <option key={k.kind} value={k.kind}>
                    {k.label}
                  </option>
                ))}
              </select>
            </label>
            <label className="field-row">
              <span>{form.pathKind === 'npy' ? 'File' : 'Folder'} path</span>
              <div className="inline">
                <input
                  type="text"
                  value={form.path}
                  placeholder={form.pathKind === 'idx' ? '/usr/share/datasets/fashion-mnist' : '/path/to/data'}
                  onChange={(e) => set('path', e.target.value)}
                  aria-invalid={!!show('path')}
                  spellCheck={false}
                />
                {isElectron && (
                  <button type="button" className="btn small" onClick={() => void pick()}>
                    Browse…
                  </button>
                )}
              </div>
              {show('path') && <span className="err">{show('path')}</span>}
            </label>
            <button type="button" className="btn small" disabled={!spec || inspect.busy} onClick={() => void runInspect(spec)}>
              Inspect data
            </button>
          </>
        )}
        <InspectView state={inspect} current={spec} />
      </fieldset>

      <fieldset>
        <legend>Model and compute</legend>
        <label className="field-row">
          <span>Preset</span>
          <select value={form.preset} onChange={(e) => set('preset', e.target.value)} disabled={!presets}>
            {(presets ?? [{ name: form.preset, description: '', imageShape: [1, 1, 1], featureDim: 0, pool: 'flat', encoderParams: 0, decoderParams: 0 }]).map((p) => (
              <option key={p.name} value={p.name}>
                {p.name}
              </option>
            ))}
          </select>
          {preset && (
            <span className="note">
              {preset.description} · {preset.imageShape.join('×')} input · features z ∈ ℝ<sup>{preset.featureDim}</sup> ({preset.pool} pooling) · {(preset.encoderParams / 1000).toFixed(1)}k enc /{' '}
              {(preset.decoderParams / 1000).toFixed(1)}k dec params
            </span>
          )}
          {show('preset') && <span className="err">{show('preset')}</span>}
        </label>
        <label className="field-row">
          <span>Backend</span>
          <select value={form.backend} onChange={(e) => set('backend', e.target.value as BackendChoice)}>
            <option value="auto">auto{system ? ` (→ ${system.chosen})` : ''}</option>
            {(system?.backends ?? []).map((b) => (
              <option key={b.name} value={b.name} disabled={!b.available}>
                {b.name}
                {b.available ? '' : ` — ${b.reason ?? 'unavailable'}`}
              </option>
            ))}
          </select>
        </label>
      </fieldset>

      <fieldset>
        <legend>Curriculum</legend>
        <div className="grid2">
          <label className="field-row">
            <span>Classes per task</span>
            <input
              type="number"
              min={1}
              max={numClasses ?? undefined}
              value={form.classesPerTask}
              onChange={(e) => set('classesPerTask', e.target.value)}
              aria-invalid={!!show('classesPerTask')}
            />
            {show('classesPerTask') && <span className="err">{show('classesPerTask')}</span>}
          </label>
          <label className="field-row">
            <span>Seed</span>
            <input type="number" min={0} value={form.seed} onChange={(e) => set('seed', e.target.value)} aria-invalid={!!show('seed')} disabled={!!form.seeds.trim()} title={form.seeds.trim() ? 'A sweep gives each run its own seed' : undefined} />
            {show('seed') && <span className="err">{show('seed')}</span>}
          </label>
          <label className="field-row" title="A sweep: the same settings once per seed, one run after another; the run browser shows their mean ± std">
            <span>Sweep seeds (optional)</span>
            <input type="text" value={form.seeds} placeholder="e.g. 1,2,3" onChange={(e) => set('seeds', e.target.value)} aria-invalid={!!show('seeds')} data-testid="sweep-seeds" spellCheck={false} />
            {show('seeds') && <span className="err">{show('seeds')}</span>}
          </label>
          <label className="field-row" title="Draws the class order; the seed above still seeds initialisation, batches and memory">
            <span>Class-order seed (optional)</span>
            <input type="number" min={0} value={form.orderSeed} placeholder="natural order" onChange={(e) => set('orderSeed', e.target.value)} aria-invalid={!!show('orderSeed')} />
            {show('orderSeed') && <span className="err">{show('orderSeed')}</span>}
          </label>
        </div>
        <div className="seg" role="radiogroup" aria-label="Length">
          <label className={form.quick ? 'on' : ''} title="Few steps per task: a quick look in minutes">
            <input type="radio" name="len" checked={form.quick} onChange={() => set('quick', true)} />
            Quick
          </label>
          <label className={!form.quick ? 'on' : ''} title="The full schedule of the preset">
            <input type="radio" name="len" checked={!form.quick} onChange={() => set('quick', false)} />
            Full
          </label>
        </div>
        <label className="check">
          <input type="checkbox" checked={form.autonomous} onChange={(e) => set('autonomous', e.target.checked)} />
          Autonomous: run the whole curriculum unattended (otherwise pause after each task)
        </label>
        <label className="check" title={`After each task's loop the decoder alone learns for ${DECODER_PHASE_EPOCHS} epochs (recipe decoderEpochs); accuracy does not change`}>
          <input type="checkbox" checked={form.decoderPhase} onChange={(e) => set('decoderPhase', e.target.checked)} data-testid="decoder-phase" />
          Decoder phase: teach the decoder to draw each task&apos;s images, so reconstructions and replayed memory look like the data (about 3× longer)
        </label>
        <label className="field-row">
          <span>Watched folder (optional)</span>
          <div className="inline">
            <input type="text" value={form.watchDir} placeholder="learn new class folders as they appear" onChange={(e) => set('watchDir', e.target.value)} spellCheck={false} />
            {isElectron && (
              <button type="button" className="btn small" onClick={() => void pickWatch()}>
                Browse…
              </button>
            )}
          </div>
        </label>
        <label className="field-row">
          <span>Run name (optional)</span>
          <input type="text" value={form.name} onChange={(e) => set('name', e.target.value)} maxLength={80} />
        </label>
      </fieldset>

      <button type="submit" className="btn primary wide" disabled={starting || (touched && Object.keys(errors).length > 0)} data-testid="start-run">
        {starting ? 'Starting…' : sweepSeeds(form).length && !errors.seeds ? `Start sweep (${sweepSeeds(form).length} runs)` : 'Start run'}
      </button>
      {touched && Object.keys(errors).length > 0 && <p className="err">Fix the fields marked above to start.</p>}
    </form>
  );
}

function InspectView({ state, current }: { state: InspectState; current: string }): React.JSX.Element {
  if (!current) return <p className="note">Type a path, then Inspect to see its classes and a sample grid before training.</p>;
  if (state.spec !== current) return <p className="note">Press Inspect data to read {current}.</p>;
  if (state.busy)
    return (
      <div className="inspect busy" aria-busy="true">
        Reading {current}…
      </div>
    );
  if (state.error)
    return (
      <p className="err" role="alert">
        {state.error}
      </p>
    );
  const r = state.result;
  if (!r) return <></>;
  const total = r.counts.reduce((s, c) => s + c.train + c.test, 0);
  return (
    <div className="inspect" data-testid="inspect-result">
      <div className="inspect-meta">
        <span>
          <b>{r.classes.length}</b> classes
        </span>
        <span>
          <b>{total.toLocaleString()}</b> images
        </span>
        <span>{r.shape.join('×')}</span>
        <span>
          range [{r.range[0]}, {r.range[1]}]
        </span>
      </div>
      <p className="note">{r.conversion}</p>
      {r.gridPng && <img className="grid-img" src={r.gridPng} alt={`Sample images from ${r.spec}`} />}
      <details>
        <summary>Per-class counts</summary>
        <table className="mini">
          <thead>
            <tr>
              <th>class</th>
              <th>train</th>
              <th>test</th>
            </tr>
          </thead>
          <tbody>
            {r.classes.map((c, i) => (
              <tr key={c + i}>
                <td>{c}</td>
                <td>{r.counts[i]?.train ?? '—'}</td>
                <td>{r.counts[i]?.test ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </div>
  );
}
