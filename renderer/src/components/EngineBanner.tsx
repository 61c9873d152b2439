import { useLab } from '../context';
import { useStoreSelector } from '../state/useStore';

/** The engine process crashed or restarted: say so plainly and what happens next. */
export function EngineBanner(): React.JSX.Element | null {
  const { store } = useLab();
  const engine = useStoreSelector(store, (s) => s.engine);
  if (!engine || engine.state === 'started') return null;
  const crashed = engine.state === 'crashed';
  return (
    <div className={`engine-banner ${crashed ? 'bad' : 'warn'}`} role="alert">
      <strong>{crashed ? 'The training engine stopped unexpectedly.' : 'The training engine was restarted.'}</strong>{' '}
      <span>{engine.message}</span>{' '}
      <span className="hint">
        {crashed
          ? 'It restarts by itself; the interrupted run can be resumed from its last checkpoint in the Runs tab.'
          : 'Runs that were active are marked interrupted; resume them from the Runs tab.'}
      </span>
      <button className="btn small" onClick={() => store.dispatch({ type: 'clear-engine' })}>
        Dismiss
      </button>
    </div>
  );
}
