import { randomBytes } from 'node:crypto';
import { ApiErrorException, type TerminalInfo } from '../../common/contract/index';
import type { EventBus } from '../host/events';
import { OutputBatcher } from './batcher';
import { DEFAULT_HIGH_WATER, DEFAULT_LOW_WATER, FlowControl } from './flow-control';
import type { ShellSize, TerminalSource } from './source';

export type OpenRequest = ({ kind: 'ssh'; hostId: string; command?: string } | { kind: 'local' }) & ShellSize;

export interface TerminalManagerOptions {
  events: EventBus;
  openSsh(hostId: string, opts: ShellSize & { command?: string }): Promise<TerminalSource>;
  openLocal(opts: ShellSize): Promise<TerminalSource>;
  highWater?: number;
  lowWater?: number;
  batchMs?: number;
  /** Largest single output event (characters). */
  batchChars?: number;
}

interface Session {
  info: TerminalInfo;
  owner: string;
  source: TerminalSource;
  flow: FlowControl;
  batcher: OutputBatcher;
  closed: boolean;
}

/**
 * Terminal sessions: output goes out as batched `terminal.data` events, input comes in as `terminal.write`
 * calls, and the renderer's `terminal.ack` drives flow control.
 */
export class TerminalManager {
  private readonly sessions = new Map<string, Session>();

  constructor(private readonly opts: TerminalManagerOptions) {}

  async open(owner: string, req: OpenRequest): Promise<TerminalInfo> {
    const size = { cols: req.cols, rows: req.rows };
    const source =
      req.kind === 'ssh'
        ? await this.opts.openSsh(req.hostId, req.command === undefined ? size : { ...size, command: req.command })
        : await this.opts.openLocal(size);
    const id = `t-${randomBytes(6).toString('hex')}`;
    const info: TerminalInfo =
      req.kind === 'ssh'
        ? { id, title: req.hostId, kind: 'ssh', hostId: req.hostId }
        : { id, title: 'local', kind: 'local' };
    const events = this.opts.events;
    const flow = new FlowControl({
      highWater: this.opts.highWater ?? DEFAULT_HIGH_WATER,
      lowWater: this.opts.lowWater ?? DEFAULT_LOW_WATER,
      pause: () => source.pause(),
      resume: () => source.resume(),
    });
    const batcher = new OutputBatcher(
      (data) => {
        flow.sent(data.length);
        events.emit('terminal.data', { id, data });
      },
      this.opts.batchMs ?? 4,
      this.opts.batchChars ?? 256 * 1024,
    );
    const session: Session = { info, owner, source, flow, batcher, closed: false };
    this.sessions.set(id, session);
    source.onData((d) => batcher.push(d));
    source.onExit((exitCode, signal) => {
      batcher.flush();
      session.closed = true;
      this.sessions.delete(id);
      events.emit('terminal.exit', { id, exitCode, signal });
    });
    return info;
  }

  write(id: string, data: string): void {
    this.get(id).source.write(data);
  }

  resize(id: string, cols: number, rows: number): void {
    this.get(id).source.resize(cols, rows);
  }

  ack(id: string, chars: number): void {
    // A late ack for a session that just ended is normal, not an error.
    this.sessions.get(id)?.flow.ack(chars);
  }

  close(id: string): void {
    const s = this.sessions.get(id);
    if (!s) return;
    s.source.close();
  }

  list(): TerminalInfo[] {
    return [...this.sessions.values()].map((s) => s.info);
  }

  /** Ends the sessions of a client that went away (closed browser tab, reloaded window). */
  closeOwnedBy(owner: string): void {
    for (const s of this.sessions.values()) if (s.owner === owner) s.source.close();
  }

  closeAll(): void {
    for (const s of this.sessions.values()) s.source.close();
  }

  /** For tests and benches: characters pushed but not yet acknowledged. */
  inFlight(id: string): number {
    return this.get(id).flow.inFlight;
  }

  private get(id: string): Session {
    const s = this.sessions.get(id);
    if (!s) throw new ApiErrorException('not-found', `no terminal ${id} (it may have exited)`);
    return s;
  }
}
