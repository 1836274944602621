import { setFlagsFromString } from 'node:v8';
if (process.env['SY_BENCH_RUNTIME_V8']) setFlagsFromString(process.env['SY_BENCH_RUNTIME_V8']);
/**
 * Child process of `npm run bench:topology`: the real host (core services, dispatcher, TopologyService, local
 * host over WebSocket serving the built renderer) whose SSH runner is replaced by the synthetic deployment of
 * bench/_synthetic-lab.ts, so the parent can read this process's RSS (current and peak) while chromium drives the
 * renderer over a 20k-image model. Prints one JSON line {url, pid}; exits when stdin closes.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { stringify } from 'yaml';
import { TWO_SITE_INVENTORY } from '../core/common/topology/fixtures.test-support';
import { createHostRuntime } from '../core/node/host/runtime';
import { startLocalHost } from '../core/node/host/local-host';
import { createCoreServices } from '../core/node/services';
import { SyntheticRunner } from './_synthetic-lab';

const home = process.env['SY_BENCH_HOME'] ?? '';
const data = process.env['SY_BENCH_DATA'] ?? '';
if (!home || !data) throw new Error('SY_BENCH_HOME and SY_BENCH_DATA must be set');
writeFileSync(join(home, 'inventory.yaml'), stringify(TWO_SITE_INVENTORY));
const runner = new SyntheticRunner(data);
const runtime = createHostRuntime({
  mode: 'browser',
  home,
  makeServices: (hostKeyDecider) => {
    const s = createCoreServices({ home, hostKeyDecider });
    // Only the command runner is synthetic: no forwarder, so OpenStack goes through the REST exec document.
    const ssh = new Proxy(s.ssh, {
      get: (t, k) => (k === 'run' ? runner.run.bind(runner) : k === 'forwardOut' ? undefined : Reflect.get(t, k)),
    });
    return { ...s, ssh };
  },
  appInfo: { version: 'bench', platform: process.platform, inventoryPath: join(home, 'inventory.yaml'), dataDir: home },
});
const host = await startLocalHost({
  dispatch: runtime.dispatch,
  events: runtime.events,
  rendererDir: 'out/renderer',
  onClientGone: (id) => runtime.clientGone(id),
});
console.log(JSON.stringify({ url: host.url, pid: process.pid }));
// `mem` on stdin: a full GC (when run with --expose-gc), then this process's memory as one JSON line, so the
// bench can tell the live heap (model, index, findings) from what V8 and the modules hold.
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() !== 'mem') return;
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  console.log(
    JSON.stringify({ mem: { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external } }),
  );
});
process.stdin.on('end', () => {
  runtime.dispose();
  void host.close().then(() => process.exit(0));
});
