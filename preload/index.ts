/**
 * Preload (sandboxed, bundled to one CommonJS file): exposes window.crateLab, one invoke per LabApi method.
 * Never exposes ipcRenderer itself or a generic send/on bridge (STYLE.md smells).
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { CHANNELS, type LabApi, type LabEvent } from './api';

const api: LabApi = {
  system: () => ipcRenderer.invoke(CHANNELS.system),
  presets: () => ipcRenderer.invoke(CHANNELS.presets),
  inspectData: (spec) => ipcRenderer.invoke(CHANNELS.inspectData, spec),
  listRuns: () => ipcRenderer.invoke(CHANNELS.listRuns),
  getRun: (runId) => ipcRenderer.invoke(CHANNELS.getRun, runId),
  deleteRun: (runId) => ipcRenderer.invoke(CHANNELS.deleteRun, runId),
  startRun: (req) => ipcRenderer.invoke(CHANNELS.startRun, req),
  listGroups: () => ipcRenderer.invoke(CHANNELS.listGroups),
  startSweep: (req) => ipcRenderer.invoke(CHANNELS.startSweep, req),
  resumeRun: (runId) => ipcRenderer.invoke(CHANNELS.resumeRun, runId),
  control: (req) => ipcRenderer.invoke(CHANNELS.control, req),
  exportRun: (req) => ipcRenderer.invoke(CHANNELS.exportRun, req),
  pickPath: (kind) => ipcRenderer.invoke(CHANNELS.pickPath, kind),
  onEvent(listener) {
    // The renderer gets the event only, never Electron's event object (which would expose `sender`).
    const wrapped = (_e: IpcRendererEvent, event: LabEvent): void => listener(event);
    ipcRenderer.on(CHANNELS.event, wrapped);
    return () => {
      ipcRenderer.removeListener(CHANNELS.event, wrapped);
    };
  },
};

contextBridge.exposeInMainWorld('crateLab', api);
