/** The one results table: a row per tool, a column per measurement. */
import { readFile, writeFile } from 'node:fs/promises';
import type {
  BrokenResult,
  LatencyResult,
  LoadScenarioResult,
  MemoryPoint,
  MemoryResult,
  Plan,
  TwoWritesResult,
} from './scenarios.js';
import { mb, median, ms, percentile } from './stats.js';
import type { Tool } from './tools.js';

/** Everything measured for one tool; a missing field was not measured (see `errors`). */
export interface ToolResult {
  readonly tool: Tool;
  /** Why the tool did not run at all. */
  unavailable?: string;
  latency: Partial<Record<'small' | 'large', LatencyResult>>;
  cold: Record<'small' | 'large', number[]>;
  memory?: MemoryResult;
  load?: LoadScenarioResult;
  twoWrites?: TwoWritesResult;
  broken?: BrokenResult;
  /** Step name → error message, for steps that threw. */
  errors: Record<string, string>;
  /** Edits never served: what the app answered and printed then. */
  misses: string[];
}

/** Module counts of the two trees. */
export interface Sizes {
  readonly small: number;
  readonly large: number;
}

function latencyCell(r: ToolResult, key: 'small' | 'large', step: string): string {
  const l = r.latency[key];
  if (!l) return r.errors[step] ? 'error' : '—';
  if (l.samples.length === 0) return `timeout (${l.unserved} edits never served)`;
  const text = `${ms(median(l.samples))} / ${ms(percentile(l.samples, 90))}`;
  return l.unserved ? `${text} (${l.unserved} of ${l.edits} edits never served)` : text;
}

/** Bytes of heap per reload: the least-squares slope of heapUsed over reloads. */
function heapSlope(points: readonly MemoryPoint[]): number | undefined {
  if (points.length < 2) return undefined;
  const n = points.length;
  const mx = points.reduce((a, p) => a + p.reloads, 0) / n;
  const my = points.reduce((a, p) => a + p.heapUsed, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.reloads - mx) * (p.heapUsed - my);
    den += (p.reloads - mx) ** 2;
  }
  return den === 0 ? undefined : num / den;
}

function memoryCells(
  r: ToolResult,
  checkpoints: readonly [number, number],
): [string, string, string] {
  const m = r.memory;
  if (!m) return r.errors.memory ? ['error', 'error', 'error'] : ['—', '—', '—'];
  const unserved = m.unserved ? ` (${m.unserved} reloads never served)` : '';
  const note = `${m.gc ? '' : ' (no gc)'}${unserved}${m.failure ? ` (${m.failure})` : ''}`;
  if (m.restarts) {
    // Each reload is a new process: show the first one and the one after a few restarts.
    const label = ` after ${m.points.at(-1)?.reloads ?? 0} restarts`;
    const heap = m.points.map((p) => mb(p.heapUsed)).join(' → ');
    const rss = m.points.map((p) => mb(p.rss)).join(' → ');
    return [`${heap}${label}${note}`, `${rss}${label}`, 'restarts: fresh process'];
  }
  const shown = [0, ...checkpoints].map((n) => m.points.find((p) => p.reloads === n));
  const heap = shown.map((p) => mb(p?.heapUsed)).join(' / ');
  const rss = shown.map((p) => mb(p?.rss)).join(' / ');
  // From the first checkpoint on (the first reloads also warm caches and the JIT), the
  // least-squares slope over every read, so one early or late collection does not decide it.
  const slope = heapSlope(m.points.filter((p) => p.reloads >= checkpoints[0]));
  const growth = slope === undefined ? '—' : (slope / 1024).toFixed(1);
  return [`${heap}${note}`, rss, growth];
}

function loadCell(r: ToolResult): string {
  const l = r.load;
  if (!l) return r.errors.load ? 'error' : '—';
  const unserved = l.unserved ? `, ${l.unserved} edits never served` : '';
  return `${l.failed} / ${l.sent}, p99 ${ms(l.p99)}${unserved}`;
}

function twoWritesCell(r: ToolResult): string {
  const t = r.twoWrites;
  if (!t) return r.errors.twoWrites ? 'error' : '—';
  return `${t.lost} / ${t.reps}`;
}

function brokenCell(r: ToolResult): string {
  const b = r.broken;
  if (!b) return r.errors.broken ? 'error' : '—';
  const kept = b.keptLastGood ? '' : ', served a broken value';
  const recovered =
    b.recoveredMs === undefined ? 'never recovered' : `fixed in ${ms(b.recoveredMs)}`;
  return `${b.failed} / ${b.sent} failed${kept}; ${recovered}`;
}

function coldCell(r: ToolResult): string {
  const cell = (samples: number[]): string => ms(median(samples));
  return `${cell(r.cold.small)} / ${cell(r.cold.large)}`;
}

/** Header and rows of the table. */
export function tableRows(
  results: readonly ToolResult[],
  plan: Pick<Plan, 'memoryCheckpoints' | 'loadReloads' | 'loadRate'>,
  sizes: Sizes,
): string[][] {
  const [c1, c2] = plan.memoryCheckpoints;
  const header = [
    'tool',
    `edit→served, ${sizes.small} modules: p50 / p90 ms`,
    `edit→served, ${sizes.large} modules: p50 / p90 ms`,
    `cold start ${sizes.small} / ${sizes.large} modules, ms`,
    `heap after 0 / ${c1} / ${c2} reloads, MB`,
    `RSS after 0 / ${c1} / ${c2} reloads, MB`,
    `heap growth per reload (slope ${c1}→${c2}), KB`,
    `${plan.loadReloads} reloads of ${sizes.large} modules under ${plan.loadRate} req/s: failed / sent, p99 ms`,
    `two writes 30 ms apart, ${sizes.small} modules: lost`,
    `syntax error → throwing module → fix, ${sizes.small} modules: failed / sent while broken; recovery ms`,
  ];
  const rows = results.map((r) => {
    if (r.unavailable) {
      return [
        r.tool.label,
        r.unavailable,
        ...Array.from({ length: header.length - 2 }, () => 'n/a'),
      ];
    }
    return [
      r.tool.label,
      latencyCell(r, 'small', 'latency small'),
      latencyCell(r, 'large', 'latency large'),
      coldCell(r),
      ...memoryCells(r, plan.memoryCheckpoints),
      loadCell(r),
      twoWritesCell(r),
      brokenCell(r),
    ];
  });
  return [header, ...rows];
}

/** A markdown table with padded columns, readable as plain text too. */
export function markdownTable(rows: readonly string[][]): string {
  const widths = rows[0]!.map((_, col) =>
    Math.max(...rows.map((row) => [...(row[col] ?? '')].length)),
  );
  const line = (row: readonly string[]): string =>
    `| ${row.map((cell, col) => cell + ' '.repeat(widths[col]! - [...cell].length)).join(' | ')} |`;
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  return [line(rows[0]!), rule, ...rows.slice(1).map(line)].join('\n');
}

const startMarker = '<!-- bench:results:start -->';
const endMarker = '<!-- bench:results:end -->';

/** Replaces the results section of `file` (between its markers) with `section`. */
export async function writeResults(file: string, section: string): Promise<void> {
  let text = await readFile(file, 'utf8').catch(() => '');
  const block = `${startMarker}\n${section.trim()}\n${endMarker}`;
  const start = text.indexOf(startMarker);
  const end = text.indexOf(endMarker);
  if (start >= 0 && end > start) {
    text = text.slice(0, start) + block + text.slice(end + endMarker.length);
  } else {
    text = `${text.trimEnd()}\n\n${block}\n`;
  }
  await writeFile(file, text);
}
