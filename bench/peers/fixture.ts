/**
 * The generated app every tool runs: a `node:http` server on 127.0.0.1 whose request handler
 * imports a branching tree of modules. The deepest leaf carries a marker (`leaf=<value>;`) that
 * every response body repeats, so the harness sees exactly when an edit is served.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Tool } from './tools.js';

/** What to generate. */
export interface FixtureOptions {
  /** Number of modules in the tree under the handler. */
  readonly modules: number;
  /** Give the deepest leaf a ~100 KB string (the memory scenario). */
  readonly blob: boolean;
}

/** A generated app on disk. */
export interface Fixture {
  readonly dir: string;
  /** Absolute path of the entry file the tool runs. */
  readonly entry: string;
  /** Absolute path of the deepest leaf, the file every scenario edits. */
  readonly leaf: string;
  /** Depth of that leaf below the handler (the handler imports `m0`, depth 1). */
  readonly depth: number;
  readonly options: FixtureOptions;
  /** Source of the leaf serving `value`. */
  leafSource(value: string): string;
  /** Source of the leaf with a syntax error. */
  brokenSyntaxSource(): string;
  /** Source of the leaf that parses but throws while it is evaluated. */
  throwingSource(): string;
}

/** Size of the memory scenario's string, in characters (one byte each). */
export const blobSize = 100 * 1024;

interface TreeNode {
  readonly id: number;
  readonly depth: number;
  readonly children: number[];
}

/**
 * A tree of `count` nodes, breadth first, each inner node with 1–4 children drawn from a fixed
 * seed, so every tool gets the same tree. Returns the nodes and the id of a deepest leaf.
 */
export function buildTree(count: number): { nodes: TreeNode[]; deepest: number } {
  let seed = 0x2545f491;
  const next = (): number => {
    // xorshift32: deterministic, good enough for a shape.
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 0x1_0000_0000;
  };
  const nodes: TreeNode[] = [{ id: 0, depth: 1, children: [] }];
  let cursor = 0;
  while (nodes.length < count) {
    const parent = nodes[cursor++]!;
    const fanout = 1 + Math.floor(next() * 4);
    for (let i = 0; i < fanout && nodes.length < count; i++) {
      const child: TreeNode = { id: nodes.length, depth: parent.depth + 1, children: [] };
      parent.children.push(child.id);
      nodes.push(child);
    }
  }
  // Breadth first: the last node is a deepest one, and it is always a leaf.
  return { nodes, deepest: nodes.length - 1 };
}

/** Writes a fresh app for `tool` into `dir` (removed first). */
export async function writeFixture(
  dir: string,
  tool: Tool,
  options: FixtureOptions,
): Promise<Fixture> {
  const ts = tool.language === 'ts';
  const ext = ts ? 'ts' : 'js';
  await rm(dir, { recursive: true, force: true });
  await mkdir(join(dir, 'mods'), { recursive: true });
  const { nodes, deepest } = buildTree(options.modules);
  const blob = options.blob ? makeBlob(blobSize) : '';
  const t = (annotation: string): string => (ts ? `: ${annotation}` : '');

  const leafSource = (value: string): string =>
    [
      options.blob ? `export const blob${t('string')} = '${blob}';` : '',
      `export const size${t('number')} = 1;`,
      `export const marker${t('string')} = 'leaf=${value};'${options.blob ? ' + blob.length' : ''};`,
      `export function f${deepest}(x${t('number')})${t('number')} {`,
      `  return x * ${deepest % 7} + 1;`,
      '}',
      '',
    ]
      .filter((line, i) => i > 0 || line !== '')
      .join('\n');

  const writes: Promise<void>[] = [];
  for (const node of nodes) {
    const file = join(dir, 'mods', `m${node.id}.${ext}`);
    if (node.id === deepest) {
      writes.push(writeFile(file, leafSource('v0')));
      continue;
    }
    writes.push(writeFile(file, moduleSource(node, t)));
  }
  await Promise.all(writes);

  const app = tool.app(ext);
  await writeFile(join(dir, `handler.${ext}`), handlerSource(app.handlerAccepts, t));
  await writeFile(join(dir, app.entryFile), app.entrySource);
  await writeFile(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: `bench-${tool.id}`, private: true, type: 'module', ...app.packageJson }, null, 2)}\n`,
  );

  return {
    dir,
    entry: join(dir, app.entryFile),
    leaf: join(dir, 'mods', `m${deepest}.${ext}`),
    depth: nodes[deepest]!.depth,
    options,
    leafSource,
    brokenSyntaxSource: () => `${leafSource('broken')}\nexport const oops = ;\n`,
    throwingSource: () => `${leafSource('thrown')}\nthrow new Error('bench: leaf throws');\n`,
  };
}

function moduleSource(node: TreeNode, t: (annotation: string) => string): string {
  const lines: string[] = [];
  node.children.forEach((child, i) => {
    lines.push(`import { f${child}, marker as k${i}, size as s${i} } from './m${child}.js';`);
  });
  const sizes = node.children.map((_, i) => `s${i}`).join(' + ');
  const markers = node.children.length ? node.children.map((_, i) => `k${i}`).join(' + ') : "''";
  const calls = node.children.map((child) => `f${child}(x)`).join(' + ');
  lines.push(
    '',
    `export const size${t('number')} = 1${sizes ? ` + ${sizes}` : ''};`,
    `export const marker${t('string')} = ${markers};`,
    `export function f${node.id}(x${t('number')})${t('number')} {`,
    `  return x + ${node.id % 11}${calls ? ` + ${calls}` : ''};`,
    '}',
    '',
  );
  return lines.join('\n');
}

function handlerSource(accepts: boolean, t: (annotation: string) => string): string {
  const ts = t('x') !== '';
  return [
    ts ? "import type { IncomingMessage, ServerResponse } from 'node:http';" : '',
    "import { f0, marker, size } from './mods/m0.js';",
    '',
    `export function handle(_req${t('IncomingMessage')}, res${t('ServerResponse')})${t('void')} {`,
    "  res.setHeader('content-type', 'text/plain');",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: this is the generated module's source.
    '  res.end(`${marker} size=${size} f=${f0(1)}`);',
    '}',
    accepts ? '\nimport.meta.hot?.accept();' : '',
    '',
  ]
    .filter((line, i) => i > 0 || line !== '')
    .join('\n');
}

function makeBlob(length: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  let out = '';
  let x = 7;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    out += alphabet[x % alphabet.length];
  }
  return out;
}

/** The leaf value in a response body, or undefined when the body has none. */
export function servedValue(body: string): string | undefined {
  return /leaf=([^;]*);/.exec(body)?.[1];
}
