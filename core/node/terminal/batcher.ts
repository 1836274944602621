/**
 * Coalesces output chunks into one event per few milliseconds (or per maxChars), so a chatty program produces a
 * handful of messages per frame instead of one per read() on the pty.
 */
export class OutputBatcher {
  private parts: string[] = [];
  private size = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly flushTo: (data: string) => void,
    private readonly delayMs = 4,
    private readonly maxChars = 256 * 1024,
  ) {}

  push(data: string): void {
    if (data.length === 0) return;
    this.parts.push(data);
    this.size += data.length;
    if (this.size >= this.maxChars) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.delayMs);
  }

  flush(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.size === 0) return;
    const data = this.parts.length === 1 ? (this.parts[0] ?? '') : this.parts.join('');
    this.parts = [];
    this.size = 0;
    this.flushTo(data);
  }
}
