import { StringDecoder } from 'node:string_decoder';
import type { TerminalSource } from './source';

/** The part of an ssh2 ClientChannel (shell with a pty) a terminal needs. */
export interface ShellChannel {
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  on(event: 'exit', listener: (code: number | null, signal?: string | null) => void): unknown;
  stderr?: { on(event: 'data', listener: (chunk: Buffer) => void): unknown };
  write(data: string): unknown;
  setWindow(rows: number, cols: number, height: number, width: number): unknown;
  pause(): unknown;
  resume(): unknown;
  end(): unknown;
  close?(): unknown;
}

/** Adapts an SSH shell channel. Bytes are decoded as UTF-8 across chunk boundaries (a split multi-byte char
 * would otherwise render as two replacement glyphs). */
export function sshSource(channel: ShellChannel): TerminalSource {
  const decoder = new StringDecoder('utf8');
  const errDecoder = new StringDecoder('utf8');
  const dataListeners: ((d: string) => void)[] = [];
  let exitCode: number | null = null;
  let exitSignal: string | null = null;
  const emit = (s: string) => {
    if (s) for (const l of dataListeners) l(s);
  };
  channel.on('data', (b) => emit(decoder.write(b)));
  channel.stderr?.on('data', (b) => emit(errDecoder.write(b)));
  channel.on('exit', (code, signal) => {
    exitCode = code ?? null;
    exitSignal = signal ?? null;
  });
  return {
    onData: (l) => dataListeners.push(l),
    onExit: (l) =>
      channel.on('close', () => {
        emit(decoder.end());
        l(exitCode, exitSignal);
      }),
    write: (d) => channel.write(d),
    resize: (cols, rows) => channel.setWindow(rows, cols, 0, 0),
    pause: () => channel.pause(),
    resume: () => channel.resume(),
    close: () => {
      channel.end();
      channel.close?.();
    },
  };
}
