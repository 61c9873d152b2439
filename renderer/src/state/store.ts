/**
 * A minimal external store (useSyncExternalStore-compatible). Dispatch updates the state at once;
 * listeners are told once per animation frame at most, so a burst of engine events costs one render.
 * The 3D frame loop reads getState() directly and never waits for React.
 */

export interface Store<S, A> {
  getState(): S;
  dispatch(a: A): void;
  subscribe(listener: () => void): () => void;
  /** tell listeners now (tests, and before reading the DOM) */
  flush(): void;
}

export type Scheduler = (cb: () => void) => void;

const defaultScheduler: Scheduler =
  typeof requestAnimationFrame === 'function'
    ? (cb) => {
        // rAF stops in background tabs; a timeout fallback keeps state current for when it returns
        let done = false;
        const run = (): void => {
          if (!done) {
            done = true;
            cb();
          }
        };
        requestAnimationFrame(run);
        setTimeout(run, 250);
      }
    : (cb) => queueMicrotask(cb);

export function createStore<S, A>(reducer: (s: S, a: A) => S, initial: S, schedule: Scheduler = defaultScheduler): Store<S, A> {
  let state = initial;
  const listeners = new Set<() => void>();
  let scheduled = false;
  const notify = (): void => {
    scheduled = false;
    for (const l of [...listeners]) l();
  };
  return {
    getState: () => state,
    dispatch(a) {
      const next = reducer(state, a);
      if (next === state) return;
      state = next;
      if (!scheduled) {
        scheduled = true;
        schedule(() => {
          if (scheduled) notify();
        });
      }
    },
    subscribe(l) {
      listeners.add(l);
      return () => {
        listeners.delete(l);
      };
    },
    flush() {
      if (scheduled) notify();
    },
  };
}
