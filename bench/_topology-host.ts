/**
 * Child process of `npm run bench:topology`: the real host (core services, dispatcher, TopologyService, local
 * host over WebSocket serving the built renderer) whose SSH runner is replaced by the synthetic deployment of
 * bench/_synthetic-lab.ts, so the parent can read this process's RSS (current and peak) while chromium drives the
 * renderer over a 20k-image model. Prints one JSON line {url, pid}; exits when stdin closes.
 */
import { writeFileSync } from 'node:fs';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
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
// SY_MEMTRACE: the highest RSS seen every 5 ms, with what V8's heap and external memory were then.
let top = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
if (process.env['SY_MEMTRACE'])
  setInterval(() => {
    const m = process.memoryUsage();
    if (m.rss > top.rss) top = m;
  }, 5).unref();
// `mem` on stdin: a full GC (when run with --expose-gc), then this process's memory as one JSON line, so the
// bench can tell the live heap (model, index, findings) from what V8 and the modules hold.
createInterface({ input: process.stdin }).on('line', (line) => {
  // `snap` (SY_SNAP=FILE): a heap snapshot after a full GC, to see what holds the heap.
  if (line.trim() === 'snap') {
    (globalThis as { gc?: () => void }).gc?.();
    process.stderr.write(`heap snapshot ${writeHeapSnapshot(process.env['SY_SNAP'])}\n`);
    return;
  }
  if (line.trim() !== 'mem') return;
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  // SY_MEMTRACE: V8's heap spaces too (committed vs used), to tell heap headroom from live data.
  if (process.env['SY_MEMTRACE']) {
    const f = (x: number): string => (x / 2 ** 20).toFixed(1);
    process.stderr.write(
      `mem-cmd rss ${f(m.rss)} heapTotal ${f(m.heapTotal)} heapUsed ${f(m.heapUsed)} external ${f(m.external)} ab ${f(m.arrayBuffers)}\n`,
    );
    process.stderr.write(
      `  highest sampled: rss ${f(top.rss)} heapTotal ${f(top.heapTotal)} heapUsed ${f(top.heapUsed)} external ${f(top.external)} ab ${f(top.arrayBuffers)}\n`,
    );
    top = { rss: 0, heapTotal: 0, heapUsed: 0, external: 0, arrayBuffers: 0 };
    for (const sp of getHeapSpaceStatistics())
      process.stderr.write(
        `  ${sp.space_name} size ${f(sp.space_size)} used ${f(sp.space_used_size)} phys ${f(sp.physical_space_size)}\n`,
      );
  }
  console.log(
    JSON.stringify({ mem: { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external } }),
  );
});
process.stdin.on('end', () => {
  runtime.dispose();
  void host.close().then(() => process.exit(0));
});
