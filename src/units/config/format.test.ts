import { describe, expect, it } from 'vitest';
import {
  formatConfigInfo,
  formatConfigIssues,
  formatConfigReport,
  formatConfigSnapshots,
  formatValue,
} from './format.js';
import type { ConfigReport } from './types.js';

const report: ConfigReport = {
  unit: 'config',
  outcome: 'refreshed',
  validateOnly: false,
  generation: 3,
  trigger: { kind: 'api' },
  changes: [
    { path: 'llm.model', kind: 'changed', oldValue: 'a', newValue: 'b' },
    { path: 'llm.stream', kind: 'added', newValue: true },
  ],
  restartRequired: [{ path: 'irc.host', kind: 'changed', oldValue: 'x', newValue: 'y' }],
  snapshot: {
    id: 3,
    generation: 3,
    createdAt: '2026-01-01T10:00:00.000Z',
    hash: 'ab'.repeat(8),
    trigger: { kind: 'api' },
    current: true,
    steps: 0,
    changed: ['llm.model'],
    overrides: {},
  },
  files: ['config.yaml'],
  listenerErrors: [],
};

describe('text formatting', () => {
  it('formats a report with changes and restart-required keys', () => {
    expect(formatConfigReport(report)).toEqual([
      '✔ config reloaded: generation 3, snapshot #3, 2 keys changed',
      '  ~ llm.model: "a" -> "b"',
      '  + llm.stream: true',
      '  ~ irc.host: "x" -> "y" (restart required, not applied)',
    ]);
    expect(
      formatConfigReport({ ...report, validateOnly: true, changes: [], restartRequired: [] }),
    ).toEqual(['✔ config is valid: nothing would change']);
    expect(
      formatConfigReport({ ...report, outcome: 'unchanged', changes: [], restartRequired: [] }),
    ).toEqual(['• config unchanged (generation 3)']);
  });

  it('formats issues with their source and frame, snapshots and info', () => {
    expect(
      formatConfigIssues([
        { path: 'a.b', message: 'bad', source: 'c.yaml:2:3', frame: '> 2 | b: 1' },
      ]),
    ).toEqual(['✖ a.b: bad', '  at c.yaml:2:3', '  > 2 | b: 1']);
    const snaps = formatConfigSnapshots([
      report.snapshot!,
      { ...report.snapshot!, id: 2, current: false, steps: 1 },
    ]);
    expect(snaps[0]).toBe('2 snapshots, newest first:');
    expect(snaps[1]).toContain('* live');
    expect(snaps[2]).toMatch(/^ {2}#2 +2026-01-01 10:00:00Z {2}abab.* b 1/);
    const info = formatConfigInfo(
      {
        name: 'config',
        loaded: true,
        generation: 2,
        env: undefined,
        layers: [],
        files: ['c.yaml'],
        hash: 'h',
        overrides: { 'a.b': 1 },
        restartRequired: [],
        snapshots: 2,
        lastError: undefined,
      },
      { llm: { a: 1, b: 2 }, port: 1 },
    );
    expect(info).toContain('  keys:        llm (2), port');
    expect(info).toContain('  overrides:   a.b=1');
    expect(formatValue('x'.repeat(100))).toHaveLength(60);
  });
});
