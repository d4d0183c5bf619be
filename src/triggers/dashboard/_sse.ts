/**
 * Server-sent events for the dashboard: every open page gets the whole state document as a
 * `state` event on connect and whenever it changes. Runtime events mark it dirty (pushed once
 * per turn of the event loop, however many events came); a slow poll of its fingerprint catches
 * what has no event (leases ending, a config reloaded on its own). Nothing runs without a page.
 */
import type { ServerResponse } from 'node:http';
import { type RuntimeEventName, runtimeEventNames } from '../../runtime/events.js';
import type { Runtime } from '../../runtime/runtime.js';
import { dashboardState } from './_state.js';

/** The open event streams of one dashboard. */
export interface EventHub {
  /** Starts streaming to a response. */
  add(res: ServerResponse): void;
  /** Pushes the state to every stream now, if it changed. */
  push(): void;
  /** Open streams. */
  readonly size: number;
  /** Ends every stream and stops listening. */
  close(): void;
}

/** Options of {@link createEventHub}. */
export interface EventHubOptions {
  /** Milliseconds between fingerprint checks while a page is open. @default 1000 */
  pollInterval?: number;
  /** Milliseconds between keep-alive comments. @default 15000 */
  keepAlive?: number;
}

/** Creates the event hub of a dashboard over `runtime`. */
export function createEventHub(runtime: Runtime, options: EventHubOptions = {}): EventHub {
  const streams = new Set<ServerResponse>();
  let last = '';
  let scheduled = false;
  let poll: NodeJS.Timeout | undefined;
  let keepAlive: NodeJS.Timeout | undefined;

  const write = (res: ServerResponse, data: string): void => {
    if (!res.writableEnded) res.write(`event: state\ndata: ${data}\n\n`);
  };
  const snapshot = (): string => JSON.stringify(dashboardState(runtime));
  const push = (): void => {
    scheduled = false;
    if (streams.size === 0) return;
    const data = snapshot();
    if (data === last) return;
    last = data;
    for (const res of streams) write(res, data);
  };
  const schedule = (): void => {
    if (scheduled || streams.size === 0) return;
    scheduled = true;
    setImmediate(push);
  };
  const offs = runtimeEventNames.map((event: RuntimeEventName) => runtime.on(event, schedule));

  const startTimers = (): void => {
    poll ??= setInterval(push, options.pollInterval ?? 1000).unref();
    keepAlive ??= setInterval(() => {
      for (const res of streams) if (!res.writableEnded) res.write(': keep-alive\n\n');
    }, options.keepAlive ?? 15_000).unref();
  };
  const stopTimers = (): void => {
    clearInterval(poll);
    clearInterval(keepAlive);
    poll = undefined;
    keepAlive = undefined;
  };

  return {
    add(res) {
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      res.write('retry: 1000\n\n');
      // The pages already open get the same document, so none misses a change.
      const data = snapshot();
      if (data !== last) {
        last = data;
        for (const other of streams) write(other, data);
      }
      streams.add(res);
      res.once('close', () => {
        streams.delete(res);
        if (streams.size === 0) stopTimers();
      });
      write(res, data);
      startTimers();
    },
    push,
    get size() {
      return streams.size;
    },
    close() {
      for (const off of offs) off();
      stopTimers();
      for (const res of streams) res.end();
      streams.clear();
    },
  };
}
