/**
 * The file-watcher trigger drives a runtime: a save reloads the unit that owns the file, with the
 * watcher as the trigger, and a broken save is reported while the last good version keeps serving.
 */
import { afterEach, expect, it } from 'vitest';
import { createRuntime, type ReloadReport, type Runtime } from '../../src/index.js';
import { type RuntimeWatcher, watchRuntime } from '../../src/triggers/watch.js';
import { hotModule } from '../../src/units/module.js';
import { type AppDir, createAppDir } from '../helpers/app-dir.js';

let app: AppDir;
let runtime: Runtime;
let watching: RuntimeWatcher | undefined;

afterEach(async () => {
  await watching?.close();
  await runtime?.close();
  app?.cleanup();
});

it('reloads the unit that owns a saved file, and reports a broken save without changing anything', async () => {
  app = createAppDir({ 'greet.ts': "export const greet = (n: string): string => 'hello ' + n;\n" });
  runtime = createRuntime({ logger: false });
  const greet = hotModule<{ greet(n: string): string }>(runtime, {
    name: 'greet',
    file: 'greet.ts',
    root: app.root,
  });
  await runtime.reload();

  const reports: ReloadReport[] = [];
  const waiters: ((r: ReloadReport) => void)[] = [];
  const nextReport = () => new Promise<ReloadReport>((resolve) => waiters.push(resolve));
  watching = watchRuntime(runtime, {
    onReport: (report) => {
      reports.push(report);
      waiters.shift()?.(report);
    },
  });
  await watching.ready;

  let next = nextReport();
  app.saveByRename('greet.ts', "export const greet = (n: string): string => 'hi ' + n;\n");
  let report = await next;
  expect(report.trigger.kind).toBe('watcher');
  expect(report.trigger.detail).toBe(app.path('greet.ts'));
  expect(report.ok).toBe(true);
  expect(greet.current.greet('ann')).toBe('hi ann');

  next = nextReport();
  app.write({ 'greet.ts': 'export const greet = (n: string): string => ;\n' });
  report = await next;
  expect(report.ok).toBe(false);
  expect(report.summary).toContain('greet.ts:1:45');
  expect(greet.current.greet('bob')).toBe('hi bob');
});
