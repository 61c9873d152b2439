/**
 * The one place that registers IPC handlers in the Electron main process.
 *
 * Every channel must carry the `lab:` prefix, every sender must be the app's own top frame at the app's URL,
 * and every argument is validated against main/shared/apiSchemas.ts before a handler sees it. Handlers return
 * Result values; a throw is turned into an 'internal' error value, because Electron would forward only the
 * message of a thrown Error (STYLE.md rule 11).
 *
 * The ipcMain object is passed in (structurally typed) so this file is testable without electron.
 */
import { CHANNELS, LAB_METHODS, type LabApi, type LabMethod, type Result } from '../../preload/api';
import { validateArgs } from '../shared/apiSchemas';

export const CHANNEL_PREFIX = 'lab:';

/** The parts of Electron's IpcMainInvokeEvent the wrapper looks at. */
export interface InvokeEventLike {
  senderFrame: { url: string; parent: unknown | null } | null;
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => Promise<unknown>): void;
  removeHandler(channel: string): void;
}

export type LabHandlers = { [M in LabMethod]: (...args: Parameters<LabApi[M]>) => ReturnType<LabApi[M]> };

const refused = (message: string): Result<never> => ({ ok: false, error: { code: 'bad-request', message } });

/** Checks the sender: a top-level frame (not an iframe) whose URL the app trusts. */
export function checkSender(event: InvokeEventLike, isTrustedUrl: (url: string) => boolean): string | null {
  const frame = event.senderFrame;
  if (!frame) return 'the sending frame is gone';
  if (frame.parent !== null) return 'the sender is not a top-level frame';
  if (!isTrustedUrl(frame.url)) return `the sender's URL is not the app (${frame.url.slice(0, 100)})`;
  return null;
}

/** Registers one handler with the prefix, sender and schema checks. */
export function handle<M extends LabMethod>(
  ipcMain: IpcMainLike,
  channel: string,
  method: M,
  handler: (...args: Parameters<LabApi[M]>) => ReturnType<LabApi[M]>,
  isTrustedUrl: (url: string) => boolean,
): void {
  if (!channel.startsWith(CHANNEL_PREFIX)) {
    throw new Error(`IPC channel "${channel}" does not start with "${CHANNEL_PREFIX}"`);
  }
  ipcMain.handle(channel, async (event, ...args) => {
    const senderProblem = checkSender(event, isTrustedUrl);
    if (senderProblem) return refused(`IPC request on ${channel} refused: ${senderProblem}.`);
    const valid = validateArgs(method, args);
    if (!valid.ok) return valid;
    try {
      return await (handler as unknown as (...a: unknown[]) => Promise<Result<unknown>>)(...valid.value);
    } catch (e) {
      return { ok: false, error: { code: 'internal', message: `${method} failed: ${e instanceof Error ? e.message : String(e)}` } };
    }
  });
}

/** Registers every LabApi method; returns a function that removes them all again. */
export function registerLabHandlers(
  ipcMain: IpcMainLike,
  handlers: LabHandlers,
  isTrustedUrl: (url: string) => boolean,
): () => void {
  for (const method of LAB_METHODS) {
    handle(ipcMain, CHANNELS[method], method, handlers[method] as never, isTrustedUrl);
  }
  return () => {
    for (const method of LAB_METHODS) ipcMain.removeHandler(CHANNELS[method]);
  };
}
