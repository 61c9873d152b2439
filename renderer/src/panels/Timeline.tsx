import type { KnowledgeEvent } from '../../../preload/api';
import { useLab } from '../context';
import { fmtDuration } from '../lib/format';
import { useStoreSelector } from '../state/useStore';

const ICON: Record<KnowledgeEvent['event'], string> = {
  'task-start': '▶',
  'class-learned': '★',
  checkpoint: '⛁',
  divergence: '⚠',
  'watch-found': '＋',
  resumed: '↻',
  finished: '✓',
  stopped: '■',
};

const LABEL: Record<KnowledgeEvent['event'], string> = {
  'task-start': 'Task started',
  'class-learned': 'Class learned',
  checkpoint: 'Checkpoint',
  divergence: 'Divergence recovered',
  'watch-found': 'New class found',
  resumed: 'Resumed',
  finished: 'Finished',
  stopped: 'Stopped',
};

/** Knowledge events, newest first: what the lab learned and when. */
export function Timeline(): React.JSX.Element {
  const { store } = useLab();
  const events = useStoreSelector(store, (s) => s.events);
  const list = events.slice(-200).reverse();
  return (
    <section className="panel timeline" aria-label="Knowledge events">
      <div className="panel-head">
        <h2>Timeline</h2>
        <span className="muted small">{events.length} events</span>
      </div>
      {list.length === 0 ? (
        <div className="empty">
          <p>Tasks starting and finishing, classes learned, checkpoints, recovered divergences and new class folders found in a watched folder are listed here.</p>
        </div>
      ) : (
        <ol className="events" data-testid="timeline">
          {list.map((e, i) => (
            <li key={`${e.step}-${e.event}-${i}`} className={`ev ${e.event}`}>
              <span className="ev-icon" aria-hidden="true">
                {ICON[e.event] ?? '•'}
              </span>
              <span className="ev-kind">{LABEL[e.event] ?? e.event}</span>
              <span className="ev-msg">{e.message}</span>
              <span className="ev-when muted">
                task {e.task + 1} · step {e.step} · {fmtDuration(e.time)}
              </span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
