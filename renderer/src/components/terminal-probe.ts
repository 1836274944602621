/**
 * A read-only window onto open terminals, for the browser tests and the UI bench: the text of the active buffer
 * and how many characters each session has rendered. It exposes nothing the operator cannot already see on screen.
 */
import type { Terminal } from '@xterm/xterm';

interface Probe {
  term: Terminal;
  rendered: number;
  received: number;
}
const probes = new Map<string, Probe>();

declare global {
  interface Window {
    __switchyardTerminals?: {
      ids(): string[];
      text(id: string): string[];
      rendered(id: string): number;
      received(id: string): number;
      renderer(id: string): string;
    };
  }
}

export function registerProbe(
  id: string,
  term: Terminal,
  renderer: () => string,
): { rendered(n: number): void; received(n: number): void; dispose(): void } {
  const p: Probe = { term, rendered: 0, received: 0 };
  probes.set(id, p);
  renderers.set(id, renderer);
  return {
    rendered: (n) => {
      p.rendered += n;
    },
    received: (n) => {
      p.received += n;
    },
    dispose: () => {
      probes.delete(id);
      renderers.delete(id);
    },
  };
}
const renderers = new Map<string, () => string>();

window.__switchyardTerminals = {
  ids: () => [...probes.keys()],
  text: (id) => {
    const t = probes.get(id)?.term;
    if (!t) return [];
    const b = t.buffer.active;
    const out: string[] = [];
    for (let i = 0; i < b.length; i++) out.push(b.getLine(i)?.translateToString(true) ?? '');
    return out;
  },
  rendered: (id) => probes.get(id)?.rendered ?? 0,
  received: (id) => probes.get(id)?.received ?? 0,
  renderer: (id) => renderers.get(id)?.() ?? 'none',
};
