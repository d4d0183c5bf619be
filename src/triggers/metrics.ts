/**
 * Prometheus metrics of a runtime, with prom-client on a registry of its own (never the global
 * default one, which an app may fill and serve itself): reloads by trigger and outcome, reload
 * durations, unit generations, failed units, leases in flight, drain, worker restarts and the
 * error state. Counters follow the runtime's events; gauges are read from `status()` at scrape
 * time, so they are never stale.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ReloadReport } from '../runtime/report.js';
import type { Runtime } from '../runtime/runtime.js';

/** Options of {@link createOperatorMetrics}. */
export interface OperatorMetricsOptions {
  /** Prefix of every metric name. @default 'hotswap_' */
  prefix?: string;
  /** Labels added to every series. @default { runtime: <runtime name> } */
  labels?: Record<string, string>;
  /** Histogram buckets of reload durations, in seconds. @default 1 ms to 30 s */
  buckets?: number[];
}

/** The metrics of one runtime. Create with {@link createOperatorMetrics}. */
export interface OperatorMetrics {
  /** The registry holding them (merge it into an app's own with `Registry.merge`). */
  readonly registry: Registry;
  /** The Content-Type of {@link OperatorMetrics.metrics}' text. */
  readonly contentType: string;
  /** The Prometheus text exposition of every metric. */
  metrics(): Promise<string>;
  /** Stops following the runtime's events. */
  close(): void;
}

/**
 * The outcome label of a report: `ok`, `rolled_back` (committed, then undone) or `failed`.
 * @example
 * runtime.on('reload-end', ({ report }) => log.info(reloadOutcome(report)));
 */
export function reloadOutcome(report: ReloadReport): 'ok' | 'rolled_back' | 'failed' {
  if (report.ok) return 'ok';
  return report.rolledBack ? 'rolled_back' : 'failed';
}

/**
 * Creates the metrics of `runtime`. Reports still in its history are counted at once, so a
 * startup reload made before the metrics existed is not missed.
 * @example
 * const metrics = createOperatorMetrics(runtime);
 * app.get('/metrics', async (_req, res) => {
 *   res.type(metrics.contentType).send(await metrics.metrics());
 * });
 */
export function createOperatorMetrics(
  runtime: Runtime,
  options: OperatorMetricsOptions = {},
): OperatorMetrics {
  const p = options.prefix ?? 'hotswap_';
  const registry = new Registry();
  registry.setDefaultLabels(options.labels ?? { runtime: runtime.name });
  const registers = [registry];

  const reloads = new Counter({
    name: `${p}reloads_total`,
    help: 'Reload and rollback transactions, by kind, trigger kind and outcome (ok, failed, rolled_back).',
    labelNames: ['kind', 'trigger', 'outcome'] as const,
    registers,
  });
  const duration = new Histogram({
    name: `${p}reload_duration_seconds`,
    help: 'Duration of reload and rollback transactions.',
    labelNames: ['kind'] as const,
    buckets: options.buckets ?? [
      0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
    ],
    registers,
  });
  const restarts = new Counter({
    name: `${p}worker_restarts_total`,
    help: 'Restarts of worker units after they died.',
    labelNames: ['unit'] as const,
    registers,
  });
  const status = () => runtime.status();
  new Gauge({
    name: `${p}unit_generation`,
    help: 'Generation of the live version of each unit (0 before its first load).',
    labelNames: ['unit', 'kind'] as const,
    registers,
    collect() {
      this.reset();
      for (const unit of status().units)
        this.set({ unit: unit.name, kind: unit.kind }, unit.generation);
    },
  });
  new Gauge({
    name: `${p}unit_failed`,
    help: '1 when the last reload that included the unit failed it, else 0.',
    labelNames: ['unit', 'kind'] as const,
    registers,
    collect() {
      this.reset();
      for (const unit of status().units) {
        this.set({ unit: unit.name, kind: unit.kind }, unit.lastOutcome === 'failed' ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: `${p}units_failed`,
    help: 'Units whose last reload failed.',
    registers,
    collect() {
      this.set(status().units.filter((u) => u.lastOutcome === 'failed').length);
    },
  });
  new Gauge({
    name: `${p}leases_in_flight`,
    help: 'Leases in flight (work pinned to a version), by unit.',
    labelNames: ['unit'] as const,
    registers,
    collect() {
      this.reset();
      for (const unit of status().units) this.set({ unit: unit.name }, unit.leases);
    },
  });
  new Gauge({
    name: `${p}draining`,
    help: '1 while the process drains (refuses new work), else 0.',
    registers,
    collect() {
      this.set(runtime.draining ? 1 : 0);
    },
  });
  new Gauge({
    name: `${p}error_state`,
    help: '1 while the runtime is in its error state (the last reload, worker or drain failed), else 0.',
    registers,
    collect() {
      this.set(status().lastError ? 1 : 0);
    },
  });

  const count = (report: ReloadReport): void => {
    reloads.inc({
      kind: report.kind,
      trigger: report.trigger.kind,
      outcome: reloadOutcome(report),
    });
    duration.observe({ kind: report.kind }, report.durationMs / 1000);
  };
  for (const report of runtime.history()) count(report);
  for (const worker of status().workers) {
    restarts.inc({ unit: worker.name }, worker.restarts);
  }
  const offs = [
    runtime.on('reload-end', ({ report }) => count(report)),
    runtime.on('worker-restarted', ({ unit }) => restarts.inc({ unit })),
  ];

  return {
    registry,
    contentType: registry.contentType,
    metrics: () => registry.metrics(),
    close() {
      for (const off of offs.splice(0)) off();
    },
  };
}
