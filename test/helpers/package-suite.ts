/**
 * What the suites that import only what a user imports (the built `hotswap` and an example)
 * share: cleanups run after each test, and waiting for a runtime event. Typed with the built
 * package's types, never the source's.
 */
import type { Runtime, RuntimeEvents } from 'hotswap';
import { afterEach } from 'vitest';

/**
 * A list the running test pushes its cleanups to; after each test they run last-first, each
 * awaited before the next. Call once at the top level of a test file.
 */
export function cleanupsAfterEach(): (() => unknown)[] {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return cleanups;
}

/** Resolves the next `event` of `runtime` whose payload matches `match`. */
export function nextEvent<E extends keyof RuntimeEvents>(
  runtime: Runtime,
  event: E,
  match: (payload: RuntimeEvents[E]) => boolean = () => true,
): Promise<RuntimeEvents[E]> {
  return new Promise((resolve) => {
    const off = runtime.on(event, (payload) => {
      if (!match(payload)) return;
      off();
      resolve(payload);
    });
  });
}
