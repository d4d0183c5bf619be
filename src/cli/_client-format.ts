/**
 * Human output of the remote commands: a report (its summary, then the code frame of each
 * failure), the status, the history, and drain results. Colour comes from the caller's style,
 * so output is plain when piped.
 */
import type { SerializedError } from '../errors.js';
import type { DrainResult } from '../runtime/drain.js';
import {
  describeTrigger,
  errorWhere,
  type ReloadReport,
  reportFailures,
} from '../runtime/report.js';
import type { RuntimeStatus } from '../runtime/status.js';
import type { TextStyle } from '../units/config/index.js';

function indent(text: string, by = '    '): string {
  return text
    .split('\n')
    .map((line) => `${by}${line}`)
    .join('\n');
}

/** Lines for a report: the colored summary, and each failure's code frame and hint. */
export function formatReportLines(report: ReloadReport, s: TextStyle): string[] {
  const [headline = '', ...bullets] = report.summary.split('\n');
  const mark = report.ok ? s.green('✔') : report.rolledBack ? s.yellow('↺') : s.red('✖');
  const lines = [`${mark} ${report.ok ? headline : s.bold(headline)}`];
  for (const bullet of bullets) lines.push(`  ${s.red(bullet)}`);
  for (const failure of reportFailures(report)) {
    if (failure.error.frame) lines.push(indent(failure.error.frame));
    if (failure.error.hint) lines.push(`    ${s.dim(failure.error.hint)}`);
  }
  if (report.error?.frame && bullets.length === 0) lines.push(indent(report.error.frame));
  return lines;
}

function errorLine(error: SerializedError): string {
  const where = errorWhere(error);
  return `${error.code ? `${error.code} ` : ''}${error.message.split('\n')[0]}${where ? ` (${where})` : ''}`;
}

function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

/** Lines for `hotswap status`. */
export function formatStatusLines(
  status: RuntimeStatus,
  pid: number | undefined,
  s: TextStyle,
): string[] {
  const state = status.state === 'idle' ? s.green(status.state) : s.yellow(status.state);
  const lines = [
    `${s.bold(status.name)}${pid ? ` (pid ${pid})` : ''}: ${state}, ${status.reloads} transaction${status.reloads === 1 ? '' : 's'}${status.draining ? `, ${s.yellow('draining')}` : ''}${status.queued ? `, ${status.queued} queued` : ''}`,
  ];
  if (status.units.length === 0) lines.push(`  ${s.dim('no units')}`);
  else {
    const rows = status.units.map((u) => [
      u.name,
      u.kind,
      `gen ${u.generation}`,
      u.state,
      u.lastOutcome ?? '-',
      u.leases > 0 ? `${u.leases} lease${u.leases === 1 ? '' : 's'}` : '',
    ]);
    for (const line of table(rows)) lines.push(`  ${line}`);
  }
  for (const w of status.workers) {
    lines.push(
      `  worker ${w.name}: ${w.state}, ${w.restarts} restart${w.restarts === 1 ? '' : 's'}${w.restartable ? '' : ' (final)'}`,
    );
  }
  lines.push(`  leases in flight: ${status.leases.total}`);
  if (status.lastReport) {
    const r = status.lastReport;
    lines.push(`  last: ${r.ok ? s.green('✔') : s.red('✖')} ${r.summary.split('\n')[0]}`);
  }
  const last = status.lastError;
  if (last) {
    const what =
      last.source === 'reload'
        ? `reload #${last.reloadId} failed${last.unit ? ` in ${last.unit}` : ''}`
        : `${last.source}${last.unit ? ` ${last.unit}` : ''} failed`;
    lines.push(`  ${s.red('✖ error state')}: ${what}: ${errorLine(last.error)}`);
    if (last.error.frame) lines.push(indent(last.error.frame));
  }
  return lines;
}

/** A report's headline without its `reload #3 (trigger)` label, which history shows in columns. */
function headlineRest(r: ReloadReport): string {
  const headline = r.summary.split('\n')[0] ?? '';
  const merged = r.coalesced.length > 0 ? `, +${r.coalesced.length} merged` : '';
  const label = `${r.kind} #${r.id} (${describeTrigger(r.trigger)}${merged})`;
  return headline.startsWith(label)
    ? headline.slice(label.length).replace(/^:\s*/, '').trim()
    : headline;
}

/** Lines for `hotswap history`, oldest first (like a log). */
export function formatHistoryLines(reports: readonly ReloadReport[], s: TextStyle): string[] {
  if (reports.length === 0) return [s.dim('no reload yet')];
  const rows = reports.map((r) => [
    `#${r.id}`,
    r.startedAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
    r.kind,
    r.ok ? 'ok' : r.rolledBack ? 'rolled back' : 'failed',
    describeTrigger(r.trigger),
    headlineRest(r),
  ]);
  return table(rows).map((line, i) => (reports[i]?.ok ? line : s.red(line)));
}

/** Lines for `hotswap drain`. */
export function formatDrainLines(result: DrainResult, s: TextStyle): string[] {
  const ms = `${Math.round(result.durationMs)} ms`;
  if (result.drained)
    return [
      `${s.green('✔')} drained in ${ms}: no work in flight; new work is refused until undrain`,
    ];
  if (result.cancelled) return [`${s.yellow('!')} drain cancelled after ${ms} (undrain)`];
  const lines = [`${s.red('✖')} drain timed out after ${ms}; still in flight:`];
  for (const st of result.stragglers) {
    lines.push(
      `  ${st.unit} generation ${st.generation}: ${st.leases} lease${st.leases === 1 ? '' : 's'}`,
    );
  }
  return lines;
}
