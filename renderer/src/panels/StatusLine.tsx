import type { ActivityEvent, SystemInfo } from '../../../preload/api';
import { useLab } from '../context';
import { fmtDuration, fmtNum } from '../lib/format';
import { useStoreSelector } from '../state/useStore';

/** One line that answers "what is it doing right now". Fixed height: values change, the layout does not. */
export function StatusLine({ system }: { system: SystemInfo | null }): React.JSX.Element {
  const { store } = useLab();
  const p = useStoreSelector(store, (s) => s.progress);
  const status = useStoreSelector(store, (s) => s.status);
  const mode = useStoreSelector(store, (s) => s.mode);
  const summary = useStoreSelector(store, (s) => s.summary);
  const statusMessage = useStoreSelector(store, (s) => s.statusMessage);
  const activity = useStoreSelector(store, (s) => s.activity);
  const adapter = p?.adapter ?? (system?.adapter ? system.adapter.description || system.adapter.vendor : null);
  const backend = p?.backend ?? summary?.backend ?? system?.chosen ?? '—';
  // between steps (evaluation, baselines) the bar follows the activity where it has a fraction
  const frac = activity ? activity.fraction ?? 1 : p && p.taskSteps > 0 ? Math.min(1, p.taskStep / p.taskSteps) : 0;
  return (
    <div className="status-line" role="status" aria-label="Run status" data-testid="status-line">
      <span className={`pill status ${status ?? 'none'}`} data-testid="run-status">
        {mode === 'readonly' ? `${status ?? 'saved'} · read-only` : status ?? 'no run'}
      </span>
      <Field label="Task" value={p ? `${p.task + 1} / ${p.tasksTotal}` : summary ? `${summary.tasksDone} / ${summary.tasksTotal}` : '—'} />
      <span className="field step-field">
        <span className="label">Step</span>
        <span className="value" data-testid="step-value">
          {p ? p.step : '—'}
        </span>
        <span className="bar" aria-hidden="true">
          <span style={{ width: `${(frac * 100).toFixed(1)}%` }} />
        </span>
      </span>
      {/* three slots in every phase, so the line keeps its layout */}
      {activity ? (
        <>
          <Field label="Phase" value={activity.activity === 'evaluating' ? 'evaluating' : 'baselines'} title={ACTIVITY_TITLES[activity.activity!]} />
          <span className="field activity-detail" title={activity.detail}>
            <span className="label">Now</span>
            <span className="value" data-testid="activity-detail">
              {activity.detail}
            </span>
          </span>
          <Field label="Done" value={activity.fraction === null ? '—' : `${Math.round(activity.fraction * 100)} %`} />
        </>
      ) : p?.phase === 'decoder' ? (
        <>
          <Field label="Phase" value="decoder" title="the decoder alone learns to draw the task's images (recipe decoderEpochs)" />
          <Field label="Pixel error" value={fmtNum(p.lossDecoder)} title="mean((g(z) − x)²) over the step's images and replayed memory" />
          <Field label="T" value="—" title="the decoder phase has no rate-reduction objective" />
        </>
      ) : (
        <>
          <Field label="Loss f" value={fmtNum(p?.lossEncoder)} title="encoder loss (−T)" />
          <Field label="Loss g" value={fmtNum(p?.lossDecoder)} title="decoder loss (T)" />
          <Field label="T" value={fmtNum(p?.T)} title="closed-loop rate-reduction objective, nats" />
        </>
      )}
      {/* the last step's speed says nothing about the work between steps; the ETA does cover it (the engine sends one
          with each activity where it can: the task ends and the baselines are in its schedule) */}
      <Field label="Samples/s" value={p && !activity ? fmtNum(p.samplesPerSec, 0) : '—'} />
      <Field label="ETA" value={activity ? fmtDuration(activity.etaSec ?? null) : fmtDuration(p?.etaSec)} title="until the run ends, task ends and baselines included" />
      <Field label="Backend" value={backend} />
      <Field label="GPU" value={adapter ?? 'none'} title={adapter ?? 'No WebGPU adapter in use'} />
      {statusMessage && <span className="status-msg" title={statusMessage}>{statusMessage}</span>}
    </div>
  );
}

const ACTIVITY_TITLES: Record<NonNullable<ActivityEvent['activity']>, string> = {
  evaluating: 'the task is learned: its classes join the memory and every class seen so far is evaluated',
  baselines: 'the last task is learned: the baselines of the summary are measured on the same split (raw pixels, a random encoder, the curriculum again without memory)',
};

function Field({ label, value, title }: { label: string; value: string; title?: string }): React.JSX.Element {
  return (
    <span className="field" title={title}>
      <span className="label">{label}</span>
      <span className="value">{value}</span>
    </span>
  );
}
