/**
 * Parsing one config file by its format, with every error placed at file:line:column and a code
 * frame, and a lazy key locator so validation issues can point at the line of their key.
 * The parsers are libraries (yaml, json5, smol-toml, dotenv); this file only adapts them.
 */
import { basename, extname } from 'node:path';
import { parse as parseEnv } from 'dotenv';
import JSON5 from 'json5';
import { parse as parseToml } from 'smol-toml';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import { HotswapError } from '../../errors.js';
import { isPlainObject } from './_values.js';
import { codeFrame, lineColumnAt } from './frame.js';
import type { KeySegments } from './key-path.js';

/** The formats a config file can be written in. `json` covers JSON, JSONC and JSON5. */
export type ConfigFormat = 'yaml' | 'json' | 'toml' | 'env';

/** A 1-based position inside a file. */
export interface Position {
  line: number;
  column: number;
}

/** A parsed structured file (YAML, JSON, TOML): a tree of keys. */
export interface ParsedTree {
  readonly kind: 'tree';
  readonly file: string;
  readonly format: Exclude<ConfigFormat, 'env'>;
  readonly text: string;
  readonly data: Record<string, unknown>;
  /** Where the key at `segments` is written, when the parser can tell (YAML, JSON family). */
  locate(segments: KeySegments): Promise<Position | undefined>;
}

/** A parsed `.env` file: flat variables, mapped to key paths like environment variables. */
export interface ParsedEnvFile {
  readonly kind: 'env';
  readonly file: string;
  readonly format: 'env';
  readonly text: string;
  readonly vars: Readonly<Record<string, string>>;
  /** Where the variable `name` is assigned. */
  locateVar(name: string): Position | undefined;
}

/** A parsed config file. */
export type ParsedFile = ParsedTree | ParsedEnvFile;

/** How to present a parse error. */
export interface ParseOptions {
  /** Unit name for the error. */
  unit?: string;
  /** File name shown in messages (usually relative to the working directory). */
  display?: string;
  /** Masks secrets in code-frame lines. */
  mask?: (line: string) => string;
}

/**
 * The format of `file` from its name: `.yaml`/`.yml`, `.json`/`.jsonc`/`.json5`, `.toml`, and
 * `.env`, `.env.<anything>` or `*.env` for dotenv files. Undefined when unknown.
 * @example
 * formatOf('config.local.yaml'); // 'yaml'
 * formatOf('.env.production'); // 'env'
 */
export function formatOf(file: string): ConfigFormat | undefined {
  const name = basename(file);
  if (name === '.env' || name.startsWith('.env.') || name.endsWith('.env')) return 'env';
  switch (extname(name).toLowerCase()) {
    case '.yaml':
    case '.yml':
      return 'yaml';
    case '.json':
    case '.jsonc':
    case '.json5':
      return 'json';
    case '.toml':
      return 'toml';
    default:
      return undefined;
  }
}

/**
 * Parses the text of one config file. Throws `HS_ERR_CONFIG_PARSE` with a location and a code
 * frame when the text is malformed or its top level is not a mapping. Called in prepare.
 * @example
 * const parsed = parseConfigText('/app/config.yaml', 'yaml', 'llm:\n  model: x\n');
 */
export function parseConfigText(
  file: string,
  format: ConfigFormat,
  source: string,
  options: ParseOptions = {},
): ParsedFile {
  const text = source.charCodeAt(0) === 0xfeff ? source.slice(1) : source;
  const fail = (message: string, pos?: Position): never => {
    throw new HotswapError(
      'HS_ERR_CONFIG_PARSE',
      `cannot parse ${options.display ?? file}: ${message}`,
      {
        unit: options.unit,
        location: pos ? { file, ...pos } : undefined,
        frame: pos ? codeFrame(text, pos.line, pos.column, { mask: options.mask }) : undefined,
        hint: `fix the ${format.toUpperCase()} syntax; the live configuration is unchanged`,
      },
    );
  };
  const tree = (data: unknown, locate: ParsedTree['locate']): ParsedTree => {
    if (data === null || data === undefined) data = {};
    if (!isPlainObject(data)) fail(`the top level must be a mapping of keys, not ${kindOf(data)}`);
    return {
      kind: 'tree',
      file,
      format: format as ParsedTree['format'],
      text,
      data: data as Record<string, unknown>,
      locate,
    };
  };

  switch (format) {
    case 'yaml': {
      const lineCounter = new LineCounter();
      const doc = parseDocument(text, { lineCounter, prettyErrors: false, merge: true });
      const first = doc.errors[0];
      if (first) {
        const more = doc.errors.length > 1 ? ` (and ${doc.errors.length - 1} more)` : '';
        fail(`${first.message}${more}`, yamlPos(lineCounter, first.pos[0]));
      }
      let data: unknown;
      try {
        // Bounded alias expansion: a "billion laughs" file fails instead of filling the heap.
        data = doc.toJS({ maxAliasCount: 100 });
      } catch (err) {
        fail((err as Error).message);
      }
      return tree(data, async (segments) => locateYaml(doc.contents, lineCounter, segments));
    }
    case 'json': {
      let data: unknown;
      try {
        data = JSON5.parse(text);
      } catch (err) {
        const e = err as SyntaxError & { lineNumber?: number; columnNumber?: number };
        const message = e.message.replace(/^JSON5: /, '').replace(/ at \d+:\d+$/, '');
        fail(
          message,
          e.lineNumber ? { line: e.lineNumber, column: e.columnNumber ?? 1 } : undefined,
        );
      }
      let index: Promise<Map<string, Position>> | undefined;
      return tree(data, async (segments) => {
        index ??= indexJsonKeys(text);
        return (await index).get(JSON.stringify(segments));
      });
    }
    case 'toml': {
      let data: unknown;
      try {
        data = parseToml(text);
      } catch (err) {
        const e = err as Error & { line?: number; column?: number };
        // smol-toml appends the source lines to its message; the frame shows them, masked.
        const message = (e.message.split('\n')[0] ?? '').replace(/^Invalid TOML document: /, '');
        fail(message, e.line ? { line: e.line, column: e.column ?? 1 } : undefined);
      }
      // smol-toml keeps no key positions: TOML issues name the file, not the line.
      return tree(data, async () => undefined);
    }
    case 'env': {
      const vars = parseEnv(text);
      return {
        kind: 'env',
        file,
        format: 'env',
        text,
        vars,
        locateVar: (name) => locateEnvVar(text, name),
      };
    }
  }
}

function kindOf(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'string' ? 'a string' : `a ${typeof value}`;
}

function yamlPos(counter: LineCounter, offset: number): Position {
  const { line, col } = counter.linePos(offset);
  return { line, column: col };
}

function locateYaml(
  node: unknown,
  counter: LineCounter,
  segments: KeySegments,
): Position | undefined {
  let cur = node;
  let at: number | undefined;
  for (const seg of segments) {
    if (isMap(cur)) {
      const pair = cur.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === seg,
      );
      if (!pair) return at === undefined ? undefined : yamlPos(counter, at);
      at = (pair.key as { range?: [number, number, number] }).range?.[0] ?? at;
      cur = pair.value;
    } else if (isSeq(cur)) {
      const item = cur.items[Number(seg)] as { range?: [number, number, number] } | undefined;
      if (!item) break;
      at = item.range?.[0] ?? at;
      cur = item;
    } else break;
  }
  return at === undefined ? undefined : yamlPos(counter, at);
}

// JSON5 keeps no positions. A JSON5 document is a JavaScript expression, so oxc-parser (already a
// dependency for the loader) gives every key's offset; json5 stays the source of the values.
async function indexJsonKeys(text: string): Promise<Map<string, Position>> {
  const index = new Map<string, Position>();
  try {
    const { parseSync } = await import('oxc-parser');
    const result = parseSync('config.js', `(${text}\n)`);
    const stmt = result.program.body[0] as { expression?: unknown } | undefined;
    let root = stmt?.expression as AstNode | undefined;
    if (root?.type === 'ParenthesizedExpression') root = root.expression;
    walkJson(root, [], text, index);
  } catch {
    // Positions are a convenience: without them an issue still names its file.
  }
  return index;
}

interface AstNode {
  type: string;
  start: number;
  expression?: AstNode;
  properties?: {
    type: string;
    start: number;
    key: AstNode & { name?: string; value?: unknown };
    value: AstNode;
  }[];
  elements?: (AstNode | null)[];
}

function walkJson(
  node: AstNode | undefined,
  path: string[],
  text: string,
  index: Map<string, Position>,
): void {
  if (!node) return;
  if (node.type === 'ObjectExpression') {
    for (const prop of node.properties ?? []) {
      if (prop.type !== 'Property') continue;
      const name = prop.key.type === 'Identifier' ? prop.key.name : String(prop.key.value);
      const next = [...path, String(name)];
      // -1: the offset counts the '(' added in front of the text.
      index.set(JSON.stringify(next), lineColumnAt(text, prop.key.start - 1));
      walkJson(prop.value, next, text, index);
    }
  } else if (node.type === 'ArrayExpression') {
    (node.elements ?? []).forEach((el, i) => {
      if (!el) return;
      const next = [...path, String(i)];
      index.set(JSON.stringify(next), lineColumnAt(text, el.start - 1));
      walkJson(el, next, text, index);
    });
  }
}

function locateEnvVar(text: string, name: string): Position | undefined {
  const lines = text.split(/\r?\n/);
  for (let i = lines.length - 1; i >= 0; i--) {
    // dotenv lets the last assignment win, so the last matching line is the one in effect.
    const m = /^(\s*(?:export\s+)?)([\w.-]+)\s*[=:]/.exec(lines[i] ?? '');
    if (m && m[2] === name) return { line: i + 1, column: (m[1]?.length ?? 0) + 1 };
  }
  return undefined;
}
