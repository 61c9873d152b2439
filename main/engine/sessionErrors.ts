// The errors of opening and creating runs that the person can act on: a bad request (UsageError: CLI exit code 2,
// 'bad-request' / 'not-found' / 'conflict' over the API) and a run whose checkpoints are all unreadable. Apart from
// session.ts so that the modules session.ts uses (continueFrom, evalRun) can throw them without importing it back.
import type { UnreadableCheckpoint } from '../store/checkpoints';

/** A request the user can fix (bad flag, unknown preset, busy run): reported as 'bad-request' / exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly code: 'bad-request' | 'not-found' | 'conflict' = 'bad-request',
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * Every checkpoint of a run failed to read: resuming would silently start over, so it is refused (CLI exit code 3)
 * unless the person asks for a restart. Nothing was changed.
 */
export class UnreadableCheckpointsError extends Error {
  readonly code = 'bad-data';
  readonly exitCode = 3;
  constructor(
    readonly runId: string,
    readonly unreadable: UnreadableCheckpoint[],
  ) {
    super(
      `run ${runId}: none of its ${unreadable.length} checkpoint(s) could be read: ${describeUnreadable(unreadable)}. Nothing was changed. ` +
        `Resume with --restart to learn the run again from step 0 (the unreadable checkpoints are kept, moved to checkpoints/corrupt-<step>/).`,
    );
    this.name = 'UnreadableCheckpointsError';
  }
}

export const describeUnreadable = (bad: UnreadableCheckpoint[]): string => bad.map((b) => `step ${b.step} (${b.reason})`).join('; ');
