/**
 * Watches app modules' dispose callbacks from a test: the module calls
 * `globalThis[hook](version)` from `import.meta.hot.dispose`, and the test awaits `gone(version)`
 * (an event, never a sleep) and reads `retired` in order.
 */
export interface Retirements {
  /** Versions whose dispose callback ran, in order. */
  readonly retired: string[];
  /** Resolves when `version`'s dispose callback has run. */
  gone(version: string): Promise<void>;
  /** Removes the global hook. */
  stop(): void;
}

/** Installs `globalThis[hook]` for app modules to call when a version is disposed. */
export function trackRetirements(hook: string): Retirements {
  const retired: string[] = [];
  const waiters = new Map<string, () => void>();
  const global = globalThis as Record<string, unknown>;
  global[hook] = (version: string) => {
    retired.push(version);
    waiters.get(version)?.();
  };
  return {
    retired,
    gone: (version) =>
      retired.includes(version)
        ? Promise.resolve()
        : new Promise<void>((resolve) => waiters.set(version, resolve)),
    stop: () => {
      delete global[hook];
    },
  };
}
