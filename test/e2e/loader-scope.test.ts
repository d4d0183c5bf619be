/**
 * Everything a module version starts through its scope ends with it: after 200 reloads there is
 * still exactly one interval, one listener of each kind, and one hot listener.
 */
import { EventEmitter } from 'node:events';
import { afterEach, expect, it } from 'vitest';
import { createLoader, type Loader } from '../../src/loader/loader.js';
import { type AppDir, createAppDir } from '../helpers/app-dir.js';

let app: AppDir;
let loader: Loader;

afterEach(async () => {
  await loader?.close();
  app?.cleanup();
  delete (globalThis as Record<string, unknown>).__bus;
});

const version = (n: number): string => `const hot = import.meta.hot!;
hot.scope.setInterval(() => {}, 60_000);
hot.scope.on(process, 'hotswap-scope-test', () => {});
hot.scope.on((globalThis as any).__bus, 'tick', () => {});
hot.on('vite:afterUpdate', () => {});
const controller = new AbortController();
hot.scope.signal.addEventListener('abort', () => controller.abort());
(globalThis as any).__bus.emit('started', ${n});
export const n = ${n};
hot.accept();
`;

const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

it('leaves no orphan interval or doubled listener after 200 reloads', async () => {
  const bus = new EventEmitter();
  (globalThis as Record<string, unknown>).__bus = bus;
  const started: number[] = [];
  bus.on('started', (n: number) => started.push(n));
  const baseTimers = timers();
  const baseProcess = process.listenerCount('hotswap-scope-test');
  app = createAppDir({ 'ticker.ts': version(0) });
  loader = createLoader({ root: app.root });
  await loader.import('./ticker.ts');
  for (let n = 1; n <= 200; n++) {
    app.write({ 'ticker.ts': version(n) });
    const update = await loader.update([app.path('ticker.ts')]);
    expect(update.warnings).toEqual([]);
  }
  expect(started).toHaveLength(201);
  expect(loader.namespace(app.path('ticker.ts'))?.n).toBe(200);
  expect(timers() - baseTimers).toBe(1);
  expect(process.listenerCount('hotswap-scope-test') - baseProcess).toBe(1);
  expect(bus.listenerCount('tick')).toBe(1);
  await loader.close();
  expect(timers() - baseTimers).toBe(0);
  expect(process.listenerCount('hotswap-scope-test') - baseProcess).toBe(0);
  expect(bus.listenerCount('tick')).toBe(0);
});
