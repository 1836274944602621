import { homedir } from 'node:os';
import type { TerminalSource, ShellSize } from './source';

/** A local shell through node-pty (loaded lazily: it is a native module the CLI does not always need). */
export async function localSource(size: ShellSize, shell = process.env.SHELL || '/bin/bash'): Promise<TerminalSource> {
  const pty = await import('node-pty');
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    // The host's own token must not leak into shells the operator might share a screen of.
    if (v !== undefined && !k.startsWith('SWITCHYARD_TOKEN')) env[k] = v;
  }
  env.TERM = 'xterm-256color';
  const p = pty.spawn(shell, [], { name: 'xterm-256color', cols: size.cols, rows: size.rows, cwd: homedir(), env });
  return {
    onData: (l) => void p.onData(l),
    onExit: (l) => void p.onExit(({ exitCode, signal }) => l(exitCode, signal ? String(signal) : null)),
    write: (d) => p.write(d),
    resize: (cols, rows) => p.resize(cols, rows),
    pause: () => p.pause(),
    resume: () => p.resume(),
    close: () => p.kill(),
  };
}
