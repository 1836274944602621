/** What a terminal session reads from and writes to: an SSH shell channel or a local pty. */
export interface TerminalSource {
  onData(listener: (data: string) => void): void;
  onExit(listener: (exitCode: number | null, signal: string | null) => void): void;
  write(data: string): void;
  resize(cols: number, rows: number): void;
  pause(): void;
  resume(): void;
  close(): void;
}

export interface ShellSize {
  cols: number;
  rows: number;
}
