// TEMPORARY STUB (to be replaced by the engine helper): the signature the engine host codes against.
import type { BackendChoice, LabApi, LabEvent, Result } from '../../preload/api';

export type LabService = Omit<LabApi, 'onEvent' | 'pickPath'> & {
  subscribe(listener: (e: LabEvent) => void): () => void;
  close(): Promise<void>;
};

export interface LabServiceOptions {
  runsRoot: string;
  backend: BackendChoice;
  host: 'electron' | 'web' | 'cli';
}

const unavailable = async (): Promise<Result<never>> => ({
  ok: false,
  error: { code: 'unavailable', message: 'Not implemented yet.' },
});

export async function createLabService(_opts: LabServiceOptions): Promise<LabService> {
  return {
    system: unavailable,
    presets: unavailable,
    inspectData: unavailable,
    listRuns: unavailable,
    getRun: unavailable,
    deleteRun: unavailable,
    startRun: unavailable,
    resumeRun: unavailable,
    control: unavailable,
    exportRun: unavailable,
    subscribe: () => () => {},
    close: async () => {},
  };
}
