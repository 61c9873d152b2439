import type { LabApi } from '../../../preload/api';
import type { ConnectionState, Host } from './host';

/** Wraps the contextBridge object exposed by preload/index.ts; every call is one IPC invoke there. */
export class ElectronHost implements Host {
  readonly kind = 'electron' as const;
  constructor(private readonly api: LabApi) {}
  system: LabApi['system'] = () => this.api.system();
  presets: LabApi['presets'] = () => this.api.presets();
  inspectData: LabApi['inspectData'] = (spec) => this.api.inspectData(spec);
  listRuns: LabApi['listRuns'] = () => this.api.listRuns();
  getRun: LabApi['getRun'] = (id) => this.api.getRun(id);
  deleteRun: LabApi['deleteRun'] = (id) => this.api.deleteRun(id);
  startRun: LabApi['startRun'] = (req) => this.api.startRun(req);
  listGroups: LabApi['listGroups'] = () => this.api.listGroups();
  startSweep: LabApi['startSweep'] = (req) => this.api.startSweep(req);
  resumeRun: LabApi['resumeRun'] = (id) => this.api.resumeRun(id);
  control: LabApi['control'] = (req) => this.api.control(req);
  exportRun: LabApi['exportRun'] = (req) => this.api.exportRun(req);
  pickPath: LabApi['pickPath'] = (kind) => this.api.pickPath(kind);
  onEvent: LabApi['onEvent'] = (listener) => this.api.onEvent(listener);
  onConnection(listener: (s: ConnectionState) => void): () => void {
    listener('open');
    return () => {};
  }
  connectionState(): ConnectionState {
    return 'open';
  }
}
