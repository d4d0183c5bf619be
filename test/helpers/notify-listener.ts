/**
 * A stand-in for systemd's notification socket: a real AF_UNIX datagram socket (Python, since
 * Node cannot open one) that prints every datagram it receives as a JSON line, with
 * CLOCK_MONOTONIC in microseconds at the moment it arrived.
 */
import { type Tracked, track } from './process.js';

const script = `
import json, socket, sys, time
address = sys.argv[1]
bind = '\\0' + address[1:] if address.startswith('@') else address
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(bind)
print('listening', flush=True)
while True:
    data = s.recv(65536).decode()
    print(json.dumps({'data': data, 'at': time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000}), flush=True)
`;

/** One notification: its fields, and when it arrived (CLOCK_MONOTONIC, µs). */
export interface Notification {
  fields: Record<string, string>;
  at: number;
}

/** A running listener. */
export interface NotifyListener {
  readonly process: Tracked;
  /** Every notification so far (systemd-notify's BARRIER=1 messages left out). */
  readonly received: Notification[];
  /** Resolves the first notification, from index `from` on, whose fields match. */
  next(match: (fields: Record<string, string>) => boolean, from?: number): Promise<Notification>;
}

function parse(line: string): Notification | undefined {
  if (!line.startsWith('{')) return undefined;
  const { data, at } = JSON.parse(line) as { data: string; at: number };
  const fields: Record<string, string> = {};
  for (const pair of data.split('\n')) {
    const eq = pair.indexOf('=');
    if (eq > 0) fields[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return { fields, at };
}

/** Starts a listener on `address` (a path, or `@name` in the abstract namespace). */
export async function startNotifyListener(address: string): Promise<NotifyListener> {
  const proc = track('python3', ['-u', '-c', script, address]);
  await proc.waitFor('stdout', /^listening$/);
  const notifications = (): Notification[] =>
    proc.stdout
      .map(parse)
      .filter((n): n is Notification => n !== undefined && n.fields.BARRIER === undefined);
  return {
    process: proc,
    get received() {
      return notifications();
    },
    async next(match, from = 0) {
      for (;;) {
        const seen = notifications()
          .slice(from)
          .find((n) => match(n.fields));
        if (seen) return seen;
        // Wait for the next line, then look again.
        await proc.waitFor('stdout', () => true, proc.stdout.length);
      }
    },
  };
}
