/**
 * A runnable demo of the MQTT connector service: subscribes `demo/#`, publishes a numbered
 * message every 100 ms, and counts what comes back. Edit mqtt.yaml and send SIGHUP: the
 * connection swaps while messages flow, and the counts stay exact.
 *
 *   mosquitto -p 1883 &                       # any MQTT 5 broker on 127.0.0.1:1883
 *   npx tsc -p tsconfig.build.json            # the example imports only 'hotswap' (dist/)
 *   npx tsx examples/mqtt-service/main.ts [path/to/mqtt.yaml]
 */
import { fileURLToPath } from 'node:url';
import { createConfig, createRuntime, installSignalTriggers } from 'hotswap';
import { registerMqttService } from './mqtt-service.js';

const file = process.argv[2] ?? fileURLToPath(new URL('./mqtt.yaml', import.meta.url));
const runtime = createRuntime({ name: 'mqtt-demo' });
const config = runtime.add(createConfig({ files: [file], env: false }));
const mqtt = registerMqttService(runtime, { config });

const seen = new Set<string>();
let handled = 0;
await mqtt.subscribe('demo/#', ({ payload }) => {
  handled++;
  seen.add(payload.toString());
});
const first = await runtime.reload();
console.log(first.summary);
if (!first.ok) process.exit(1);

let sent = 0;
const timer = setInterval(() => {
  mqtt.publish('demo/counter', String(sent++)).catch((err: unknown) => console.error(err));
}, 100);
const report = setInterval(() => {
  const live = mqtt.handle.current;
  console.log(
    `${live.clientId}: sent ${sent}, handled ${handled} (${seen.size} distinct), copies dropped ${mqtt.dedup.stats.duplicates}`,
  );
}, 2_000);

runtime.on('reload-end', ({ report: r }) => console.log(r.summary));
const stopSignals = installSignalTriggers({
  SIGHUP: async () => {
    await config.reload({ trigger: { kind: 'signal', by: 'SIGHUP' } });
  },
  SIGINT: async () => {
    clearInterval(timer);
    clearInterval(report);
    await stopSignals();
    await runtime.close();
  },
});
console.log(`pid ${process.pid}: edit ${file}, then kill -HUP ${process.pid}; Ctrl-C to stop`);
