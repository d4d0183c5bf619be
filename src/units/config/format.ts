/**
 * Plain-text lines for people: reports, issues, snapshot listings and info, as the CLI prints
 * them (and a chat trigger or dashboard may). Everything formatted here is already redacted;
 * colour comes from the caller's {@link TextStyle}, so output is plain when piped.
 */
import type { ConfigChangeView } from './diff.js';
import type { ConfigInfo } from './target.js';
import type { ConfigReport, SnapshotInfo } from './types.js';
import type { ConfigIssue } from './validate.js';

/** Colour functions; identity functions for plain text. */
export interface TextStyle {
  red(text: string): string;
  green(text: string): string;
  yellow(text: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

/** No colour at all. */
export const plainStyle: TextStyle = {
  red: (t) => t,
  green: (t) => t,
  yellow: (t) => t,
  dim: (t) => t,
  bold: (t) => t,
};

/** A short, one-line rendering of a value (JSON, cut at 60 characters). */
export function formatValue(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function changeLine(c: ConfigChangeView, s: TextStyle): string {
  switch (c.kind) {
    case 'added':
      return `  ${s.green('+')} ${c.path}: ${formatValue(c.newValue)}`;
    case 'removed':
      return `  ${s.red('-')} ${c.path}: ${formatValue(c.oldValue)}`;
    case 'changed':
      return `  ${s.yellow('~')} ${c.path}: ${formatValue(c.oldValue)} -> ${formatValue(c.newValue)}`;
  }
}

/**
 * Lines for a reload, rollback or override report.
 * @example
 * formatConfigReport(await config.reload()).join('\n');
 * // ✔ config reloaded: generation 3, snapshot #3
 * //   ~ llm.model: "gpt-4" -> "gpt-5"
 */
export function formatConfigReport(report: ConfigReport, s: TextStyle = plainStyle): string[] {
  const what =
    report.trigger.kind === 'rollback'
      ? 'rolled back'
      : report.outcome === 'added'
        ? 'loaded'
        : 'reloaded';
  const lines: string[] = [];
  const n = report.changes.length;
  const keys = `${n} key${n === 1 ? '' : 's'}`;
  if (report.validateOnly) {
    lines.push(
      `${s.green('✔')} ${report.unit} is valid: ${n === 0 ? 'nothing would change' : `${keys} would change`}`,
    );
  } else if (report.outcome === 'unchanged') {
    lines.push(`${s.dim('•')} ${report.unit} unchanged (generation ${report.generation})`);
  } else if (report.outcome === 'restart-required' && !report.snapshot) {
    lines.push(
      `${s.yellow('!')} ${report.unit}: only keys that need a restart changed; nothing applied`,
    );
  } else {
    const snap = report.snapshot ? `, snapshot #${report.snapshot.id}` : '';
    lines.push(
      `${s.green('✔')} ${report.unit} ${what}: generation ${report.generation}${snap}, ${report.outcome === 'added' ? keys : `${keys} changed`}`,
    );
  }
  for (const c of report.changes) lines.push(changeLine(c, s));
  for (const c of report.restartRequired) {
    lines.push(`${changeLine(c, s)} ${s.yellow('(restart required, not applied)')}`);
  }
  for (const e of report.listenerErrors)
    lines.push(`  ${s.red('✖')} a listener failed: ${e.message}`);
  return lines;
}

/**
 * Lines for validation issues: key path, message, where, and the code frame.
 * @example
 * formatConfigIssues(configIssues(err)).join('\n');
 */
export function formatConfigIssues(
  issues: readonly ConfigIssue[],
  s: TextStyle = plainStyle,
): string[] {
  const lines: string[] = [];
  for (const i of issues) {
    lines.push(`${s.red('✖')} ${s.bold(i.path || '(root)')}: ${i.message}`);
    if (i.source) lines.push(`  ${s.dim(`at ${i.source}`)}`);
    if (i.frame) lines.push(...i.frame.split('\n').map((l) => `  ${l}`));
  }
  return lines;
}

/**
 * Lines for a snapshot listing, newest first; `b <steps>` rolls back to a row.
 * @example
 * formatConfigSnapshots(config.snapshots()).join('\n');
 */
export function formatConfigSnapshots(
  list: readonly SnapshotInfo[],
  s: TextStyle = plainStyle,
): string[] {
  if (list.length === 0) return [`${s.dim('•')} no snapshots yet`];
  const lines = [`${list.length} snapshot${list.length === 1 ? '' : 's'}, newest first:`];
  for (const snap of list) {
    const when = snap.createdAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
    const mark = snap.current
      ? s.green('* live')
      : snap.steps > 0
        ? `b ${snap.steps}`
        : s.dim('rolled back');
    const by = snap.trigger.kind;
    const changed =
      snap.changed.length > 0
        ? `  ${s.dim(snap.changed.slice(0, 3).join(', '))}${snap.changed.length > 3 ? s.dim(', ...') : ''}`
        : '';
    lines.push(
      `  #${String(snap.id).padEnd(3)} ${when}  ${snap.hash}  ${by.padEnd(10)} ${mark}${changed}`,
    );
  }
  return lines;
}

/**
 * Lines for `info`: state, files, overrides, keys per section.
 * @example
 * formatConfigInfo(await target.info(), await target.show()).join('\n');
 */
export function formatConfigInfo(
  info: ConfigInfo,
  shown: unknown,
  s: TextStyle = plainStyle,
): string[] {
  const lines = [
    `${s.bold(info.name)}: ${info.loaded ? `generation ${info.generation}, hash ${info.hash}` : 'not loaded'}`,
    `  environment: ${info.env ?? s.dim('none')}`,
    `  files read:  ${info.files.length > 0 ? info.files.join(', ') : s.dim('none')}`,
  ];
  const overrides = Object.entries(info.overrides);
  lines.push(
    `  overrides:   ${overrides.length > 0 ? overrides.map(([k, v]) => `${k}=${formatValue(v)}`).join(', ') : s.dim('none')}`,
  );
  if (info.restartRequired.length > 0) {
    lines.push(`  ${s.yellow('restart required')}: ${info.restartRequired.join(', ')}`);
  }
  lines.push(`  snapshots:   ${info.snapshots}`);
  if (shown && typeof shown === 'object') {
    const sections = Object.entries(shown as Record<string, unknown>).map(([k, v]) =>
      v && typeof v === 'object' && !Array.isArray(v) ? `${k} (${Object.keys(v).length})` : k,
    );
    lines.push(`  keys:        ${sections.join(', ')}`);
  }
  if (info.lastError)
    lines.push(`  ${s.red('last error')}: ${info.lastError.message.split('\n')[0]}`);
  return lines;
}
