/**
 * operator-demo: a small service with the whole operator surface, written with the public API
 * only ('hotswap' and 'hotswap/operator').
 *
 *   npx tsx examples/operator-demo/main.ts [app folder]
 *
 * The app folder (default: this one) holds `config.yaml` and `greeter.ts`. The process serves
 * `GET /hello?name=you` (a lease on the greeter module for each request; refused while
 * draining), `GET /hold` and `GET /release` (keep a lease open, to watch a drain wait for it),
 * and the operator surface: control socket for the `hotswap` CLI, SIGHUP (rehash) and SIGUSR2
 * (reload), systemd notifications under `Type=notify-reload`, the dashboard and its `/metrics`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createConfig, createRuntime, createWorker, hotModule, type Lease } from 'hotswap';
import { serveOperator } from 'hotswap/operator';
import * as v from 'valibot';

type Greeter = typeof import('./greeter.ts');

const appDir = resolve(process.argv[2] ?? dirname(fileURLToPath(import.meta.url)));
const name = process.env.DEMO_NAME ?? 'operator-demo';

const runtime = createRuntime({ name });
const config = runtime.add(
  createConfig({
    files: ['config.yaml'],
    cwd: appDir,
    env: false,
    schema: v.object({
      greeting: v.pipe(v.string(), v.minLength(1)),
      punctuation: v.string(),
      // A secret by its name: never printed by `hotswap config show`, reports or logs.
      apiKey: v.optional(v.string()),
    }),
  }),
);
hotModule<Greeter>(runtime, {
  name: 'greeter',
  file: join(appDir, 'greeter.ts'),
  root: appDir,
  dependsOn: ['config'],
});
let ticks = 0;
runtime.add(createWorker({ name: 'ticker', every: 1000, tick: () => void ticks++ }));

const startup = await runtime.reload({ trigger: { kind: 'startup' } });
if (!startup.ok) {
  console.error(startup.summary);
  process.exit(1);
}

const held: Lease<Greeter>[] = [];
const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const reply = (status: number, text: string) => {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(`${text}\n`);
  };
  try {
    runtime.admit(); // throws HS_ERR_DRAINING while draining
  } catch (err) {
    return reply(503, (err as Error).message);
  }
  switch (url.pathname) {
    case '/hello':
      return runtime.withLease<Greeter, void>('greeter', (greeter) => {
        const { greeting, punctuation } = config.current;
        reply(200, greeter.greet(url.searchParams.get('name') ?? 'you', greeting, punctuation));
      });
    case '/hold':
      held.push(runtime.lease<Greeter>('greeter'));
      return reply(200, `holding ${held.length} lease(s)`);
    case '/release':
      for (const lease of held.splice(0)) lease.release();
      return reply(200, 'released');
    case '/ticks':
      return reply(200, String(ticks));
    default:
      return reply(404, 'try /hello?name=you');
  }
});
await new Promise<void>((done) => server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', done));
const port = (server.address() as AddressInfo).port;

console.log(`${name} (pid ${process.pid}): ${startup.summary}`);
console.log(`  hello      http://127.0.0.1:${port}/hello?name=you`);
const operator = await serveOperator(runtime, {
  dashboard: { announce: (url) => console.log(`  dashboard  ${url}`) },
});
console.log(`  socket     ${operator.socket?.path}`);
console.log(
  `  try        hotswap status --name ${name}  |  kill -HUP ${process.pid}  |  edit ${join(appDir, 'config.yaml')}, then hotswap rehash`,
);

let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  for (const lease of held.splice(0)) lease.release();
  await operator.close();
  await new Promise<void>((done) => server.close(() => done()));
  await runtime.close();
  console.log(`${name} stopped`);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
