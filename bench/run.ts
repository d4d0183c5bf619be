/**
 * `npm run bench`: hotswap beside the tools a user would pick instead, on one generated fixture,
 * in one run, printed as one table and written into bench/README.md with the date and machine.
 *
 *   npm run bench [-- --quick] [-- --only hotswap,vite] [-- --node /path/to/node] [-- --write]
 *
 * `--quick` is a smoke run (3 repetitions, fewer reloads); it and `--only` leave the README alone
 * unless `--write` is given.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, release, totalmem, type } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { killAll } from './peers/app-process.js';
import { writeFixture } from './peers/fixture.js';
import { takeRunLock } from './peers/run-lock.js';
import {
  launch,
  measureBroken,
  measureLatency,
  measureMemory,
  measureTwoWrites,
  measureUnderLoad,
  type Plan,
  type Session,
} from './peers/scenarios.js';
import { sleep } from './peers/stats.js';
import {
  markdownTable,
  type Sizes,
  type ToolResult,
  tableRows,
  writeResults,
} from './peers/table.js';
import { type Tool, type ToolContext, tools } from './peers/tools.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const workDir = join(root, 'bench', '.work');
const sizes: Sizes = { small: 10, large: 1000 };

const fullPlan = {
  latencyReps: { hot: 20, restart: 10 },
  memoryCheckpoints: [100, 500],
  memoryEvery: 50,
  memoryRestarts: 3,
  coldSpawns: 3,
  loadReloads: 20,
  loadRate: 300,
  twoWritesReps: 10,
  brokenPhaseMs: 1_500,
} as const;

const quickPlan = {
  latencyReps: { hot: 3, restart: 3 },
  memoryCheckpoints: [10, 30],
  memoryEvery: 10,
  memoryRestarts: 2,
  coldSpawns: 1,
  loadReloads: 5,
  loadRate: 300,
  twoWritesReps: 3,
  brokenPhaseMs: 1_000,
} as const;

const started = Date.now();
function log(message: string): void {
  const t = ((Date.now() - started) / 1000).toFixed(0).padStart(4);
  process.stderr.write(`[bench ${t}s] ${message}\n`);
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function runTool(tool: Tool, ctx: ToolContext, plan: typeof fullPlan | typeof quickPlan) {
  const result: ToolResult = {
    tool,
    latency: {},
    cold: { small: [], large: [] },
    errors: {},
    misses: [],
  };
  const unavailable = await tool.unavailable(ctx);
  if (unavailable) {
    log(`${tool.label}: ${unavailable}`);
    result.unavailable = unavailable;
    return result;
  }
  const scenarioPlan: Plan = { ...plan, latencyReps: plan.latencyReps[tool.kind] };
  const step = async (name: string, run: () => Promise<void>): Promise<void> => {
    try {
      await run();
    } catch (err) {
      result.errors[name] = message(err);
      log(`${tool.label}: ${name} failed: ${message(err)}`);
    }
  };
  const base = join(workDir, tool.id);
  const withSession = async (
    key: 'small' | 'large',
    dir: string,
    options: { modules: number; blob: boolean },
    run: (session: Session) => Promise<void>,
  ): Promise<void> => {
    const fixture = await writeFixture(join(base, dir), tool, options);
    const { session, coldMs } = await launch(tool, fixture, ctx);
    if (!options.blob) result.cold[key].push(coldMs);
    try {
      await run(session);
    } finally {
      result.misses.push(...session.misses);
      await session.stop();
    }
  };
  const progress = (what: string) => (done: number) => log(`${tool.label}: ${what} ${done}`);

  for (const key of ['small', 'large'] as const) {
    const modules = sizes[key];
    await step(`latency ${key}`, () =>
      withSession(key, `n${modules}`, { modules, blob: false }, async (session) => {
        log(`${tool.label}: ${modules} modules, leaf at depth ${session.fixture.depth}`);
        result.latency[key] = await measureLatency(
          session,
          scenarioPlan.latencyReps,
          progress(`${modules} modules, edit`),
        );
        if (key === 'large') {
          await step('load', async () => {
            log(`${tool.label}: ${plan.loadReloads} reloads under load`);
            result.load = await measureUnderLoad(session, scenarioPlan);
          });
          return;
        }
        // Correctness checks on the small tree: what they show does not depend on its size,
        // and restarting tools would spend minutes restarting the large one.
        await step('twoWrites', async () => {
          log(`${tool.label}: two writes 30 ms apart`);
          result.twoWrites = await measureTwoWrites(session, plan.twoWritesReps);
        });
        await step('broken', async () => {
          log(`${tool.label}: syntax error → throwing module → fix`);
          result.broken = await measureBroken(session, scenarioPlan);
        });
      }),
    );
    for (let i = 1; i < plan.coldSpawns; i++) {
      await step(`cold ${key}`, async () => {
        const fixture = await writeFixture(join(base, `n${modules}`), tool, {
          modules,
          blob: false,
        });
        const { session, coldMs } = await launch(tool, fixture, ctx);
        result.cold[key].push(coldMs);
        await session.stop();
      });
    }
  }
  await step('memory', () =>
    withSession('small', 'memory', { modules: sizes.small, blob: true }, async (session) => {
      log(`${tool.label}: memory`);
      result.memory = await measureMemory(session, scenarioPlan, progress('memory, reload'));
    }),
  );
  return result;
}

/**
 * Waits up to 2 minutes for the 1-minute load average to fall below 1: other work on a 2-core
 * machine slows every tool, restarting ones most (a full run under a load of 4–5 measured
 * restarts ~1.8× slower than on a quiet machine).
 */
async function waitForQuiet(): Promise<void> {
  const deadline = Date.now() + 120_000;
  if (loadavg()[0]! < 1) return;
  log(`machine busy (load ${loadavg()[0]!.toFixed(1)}): waiting up to 2 min for it to quiet down`);
  while (loadavg()[0]! >= 1 && Date.now() < deadline) await sleep(5_000);
  log(`starting at load ${loadavg()[0]!.toFixed(1)}`);
}

function loadSummary(loads: readonly number[]): string {
  if (loads.length === 0) return 'not sampled';
  const mean = loads.reduce((a, b) => a + b, 0) / loads.length;
  return `mean ${mean.toFixed(1)}, max ${Math.max(...loads).toFixed(1)}`;
}

function version(pkg: string): string {
  try {
    const path = join(root, 'node_modules', pkg, 'package.json');
    return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string' },
      node: { type: 'string' },
      write: { type: 'boolean', default: false },
    },
  });
  const plan = values.quick ? quickPlan : fullPlan;
  const ctx: ToolContext = { root, node: values.node ? resolve(values.node) : process.execPath };
  const only = values.only?.split(',').map((s) => s.trim());
  const selected = only ? tools.filter((t) => only.includes(t.id)) : tools;
  if (selected.length === 0) {
    throw new Error(`--only matched no tool; tools are: ${tools.map((t) => t.id).join(', ')}`);
  }
  const nodeVersion = (await promisify(execFile)(ctx.node, ['--version'])).stdout.trim();
  await mkdir(workDir, { recursive: true });
  const releaseLock = await takeRunLock(join(workDir, 'run.lock'), 30 * 60_000, log);
  if (!values.quick) await waitForQuiet();
  const loads: number[] = [];
  const sampler = setInterval(() => loads.push(loadavg()[0]!), 5_000);
  log(
    `${selected.length} tools, ${values.quick ? 'quick' : 'full'} run, children on Node ${nodeVersion}`,
  );

  const results: ToolResult[] = [];
  for (const tool of selected) {
    log(`— ${tool.label}`);
    results.push(await runTool(tool, ctx, plan));
  }

  clearInterval(sampler);
  releaseLock();
  const table = markdownTable(tableRows(results, plan, sizes));
  process.stdout.write(`\n${table}\n\n`);
  for (const r of results) {
    for (const [name, error] of Object.entries(r.errors)) {
      process.stdout.write(`${r.tool.label} — ${name}: ${error.split('\n')[0]}\n`);
    }
    if (r.misses.length) {
      process.stdout.write(
        `${r.tool.label} — ${r.misses.length} edits never served; first: ${r.misses[0]}\n`,
      );
    }
  }
  log('raw results and every miss: bench/.work/results.json');
  await writeFile(join(workDir, 'results.json'), JSON.stringify(results, null, 2));

  const cpu = cpus();
  const when = new Date()
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
  const args = process.argv.slice(2);
  // Says how it was really run: `npm run bench` builds first, a direct `tsx bench/run.ts` does not.
  const viaNpm = process.env.npm_lifecycle_event === 'bench';
  const command = viaNpm
    ? `npm run bench${args.length ? ` -- ${args.join(' ')}` : ''}`
    : ['tsx bench/run.ts', ...args].join(' ');
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  const section = [
    `Measured ${when} with \`${command}\` (${minutes} min).`,
    '',
    `Machine: ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, ${type()} ${release()}; apps on Node ${nodeVersion}. ` +
      `Versions: tsx ${version('tsx')}, nodemon ${version('nodemon')}, dynohot ${version('dynohot')}, hot-hook ${version('hot-hook')}, vite ${version('vite')}. ` +
      `1-minute load average during the run (the harness and the app under test included): ${loadSummary(loads)}.`,
    '',
    table,
  ].join('\n');
  if ((values.quick || only) && !values.write) {
    log('partial or quick run: bench/README.md left as it is (add --write to update it)');
  } else {
    await writeResults(join(root, 'bench', 'README.md'), section);
    log('results written to bench/README.md');
  }
}

main()
  .catch((err: unknown) => {
    process.stderr.write(
      `[bench] ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exitCode = 1;
  })
  .finally(killAll);
