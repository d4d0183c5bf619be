/** Messages between the `hotswap run` supervisor and its app child (IPC channel). */

/** Settings the supervisor hands to the child. */
export interface RunSettings {
  /** Ask the supervisor for a restart when a change is not accepted in place. */
  restart: boolean;
  /** Watch the root for changes. */
  watch: boolean;
  /** Print nothing but errors. */
  quiet: boolean;
}

/** Child → supervisor. */
export type ChildMessage =
  | { type: 'started' }
  | { type: 'reloaded'; ms: number; files: number }
  | { type: 'failed' }
  | { type: 'restart'; reason: string };

/** Supervisor → child. */
export type ParentMessage = { type: 'reload-all' };
