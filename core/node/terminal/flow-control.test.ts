import { describe, expect, it } from 'vitest';
import { EventBus } from '../host/events';
import { FlowControl } from './flow-control';
import { TerminalManager } from './manager';
import type { TerminalSource } from './source';

describe('FlowControl', () => {
  it('pauses above the high-water mark and resumes only below the low-water mark', () => {
    const calls: string[] = [];
    const f = new FlowControl({
      highWater: 100,
      lowWater: 40,
      pause: () => calls.push('pause'),
      resume: () => calls.push('resume'),
    });
    f.sent(60);
    f.sent(40);
    expect(calls).toEqual([]);
    f.sent(1);
    expect(calls).toEqual(['pause']);
    f.sent(500);
    expect(calls).toEqual(['pause']);
    f.ack(500);
    expect(calls).toEqual(['pause']);
    expect(f.inFlight).toBe(101);
    f.ack(62);
    expect(calls).toEqual(['pause', 'resume']);
    f.ack(10_000);
    expect(f.inFlight).toBe(0);
  });
});

/** A source that produces output as fast as it is allowed to, like `cat bigfile` on a pty. */
function firehose(total: number, chunk: number): TerminalSource & { paused: boolean; produced: number } {
  let dataL: (d: string) => void = () => undefined;
  let exitL: (c: number | null, s: string | null) => void = () => undefined;
  const src = {
    paused: false,
    produced: 0,
    onData: (l: (d: string) => void) => void (dataL = l),
    onExit: (l: (c: number | null, s: string | null) => void) => void (exitL = l),
    write: () => undefined,
    resize: () => undefined,
    pause: () => void (src.paused = true),
    resume: () => {
      src.paused = false;
      pump();
    },
    close: () => exitL(0, null),
  };
  const pump = () => {
    while (!src.paused && src.produced < total) {
      const n = Math.min(chunk, total - src.produced);
      src.produced += n;
      dataL('x'.repeat(n));
    }
    if (src.produced >= total) setTimeout(() => exitL(0, null), 20);
  };
  setTimeout(pump, 0);
  return src;
}

describe('TerminalManager flow control', () => {
  it('never lets more than high-water plus one batch be in flight, and delivers everything once acked', async () => {
    const events = new EventBus();
    const total = 5_000_000;
    const src = firehose(total, 4096);
    const tm = new TerminalManager({
      events,
      openSsh: async () => src,
      openLocal: async () => src,
      highWater: 256 * 1024,
      lowWater: 64 * 1024,
      batchChars: 64 * 1024,
    });
    let received = 0;
    let messages = 0;
    let maxInFlight = 0;
    const pending: number[] = [];
    const done = new Promise<void>((resolve) => {
      events.subscribe((event, payload) => {
        if (event === 'terminal.data') {
          const p = payload as { data: string };
          received += p.data.length;
          messages++;
          pending.push(p.data.length);
        }
        if (event === 'terminal.exit') resolve();
      });
    });
    const info = await tm.open('client-1', { kind: 'local', cols: 80, rows: 24 });
    // A slow renderer: acknowledges what it has "rendered" every 5 ms.
    const timer = setInterval(() => {
      try {
        maxInFlight = Math.max(maxInFlight, tm.inFlight(info.id));
      } catch {
        return; // session ended
      }
      const n = pending.splice(0).reduce((a, b) => a + b, 0);
      tm.ack(info.id, n);
    }, 5);
    await done;
    clearInterval(timer);
    expect(received).toBe(total);
    expect(maxInFlight).toBeLessThanOrEqual(256 * 1024 + 64 * 1024);
    // Batched: far fewer messages than the 1221 source chunks.
    expect(messages).toBeLessThan(200);
  });

  it('stops the source while nothing is acknowledged', async () => {
    const events = new EventBus();
    const src = firehose(10_000_000, 4096);
    const tm = new TerminalManager({
      events,
      openSsh: async () => src,
      openLocal: async () => src,
      highWater: 100_000,
      lowWater: 10_000,
      batchChars: 64 * 1024,
    });
    const info = await tm.open('c', { kind: 'local', cols: 80, rows: 24 });
    await new Promise((r) => setTimeout(r, 100));
    expect(src.paused).toBe(true);
    expect(src.produced).toBeLessThan(200_000);
    tm.close(info.id);
  });
});
