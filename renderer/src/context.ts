import { createContext, useContext } from 'react';
import type { LabError, Result } from '../../preload/api';
import type { Host } from './host/host';
import type { RunAction, RunViewState } from './state/runState';
import type { Store } from './state/store';

export interface Toast {
  id: number;
  kind: 'error' | 'info' | 'success';
  title: string;
  message?: string;
  hint?: string;
}

export interface LabContextValue {
  host: Host;
  store: Store<RunViewState, RunAction>;
  toast(t: Omit<Toast, 'id'>): void;
  /** Show a Result's error as a toast (with its hint); returns the value or null. */
  check<T>(r: Result<T>, what: string): T | null;
}

export const LabContext = createContext<LabContextValue | null>(null);

export function useLab(): LabContextValue {
  const v = useContext(LabContext);
  if (!v) throw new Error('useLab outside <LabContext.Provider>');
  return v;
}

const DEFAULT_HINTS: Partial<Record<LabError['code'], string>> = {
  'bad-data': 'Check the dataset path and format (builtin:digits, idx:DIR, cifar:DIR, folder:DIR, npy:FILE).',
  'bad-request': 'Correct the highlighted value and try again.',
  conflict: 'Another run is active or the run is in the wrong state; pause or stop it first.',
  unavailable: 'Pick another backend or feature; the System tab lists what this machine supports.',
  io: 'Check that the runs folder exists and is writable.',
  engine: 'The engine process restarted or the connection dropped; retry in a moment.',
  internal: 'This is a bug in CRATE Lab; the server console has details.',
};

export function hintFor(e: LabError): string | undefined {
  return e.hint ?? DEFAULT_HINTS[e.code];
}
