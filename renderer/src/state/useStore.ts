import { useSyncExternalStore } from 'react';
import type { Store } from './store';

/** Select one section of a store; re-renders only when that section's identity changes. */
export function useStoreSelector<S, A, T>(store: Store<S, A>, select: (s: S) => T): T {
  return useSyncExternalStore(
    store.subscribe,
    () => select(store.getState()),
    () => select(store.getState()),
  );
}
