import type { ApiEventName, ApiEvents } from '../../common/contract/index';

export type AnyEventListener = <E extends ApiEventName>(event: E, payload: ApiEvents[E]) => void;

/**
 * The host's event bus: core emits, transports (ipc webContents.send, WebSocket frames) subscribe once and
 * forward everything. Listener failures are isolated so one broken transport cannot starve the others.
 */
export class EventBus {
  private readonly listeners = new Set<AnyEventListener>();
  private readonly onListenerError: (err: unknown) => void;

  constructor(onListenerError: (err: unknown) => void = (err) => console.error('event listener failed:', err)) {
    this.onListenerError = onListenerError;
  }

  emit<E extends ApiEventName>(event: E, payload: ApiEvents[E]): void {
    for (const l of this.listeners) {
      try {
        l(event, payload);
      } catch (err) {
        this.onListenerError(err);
      }
    }
  }

  subscribe(listener: AnyEventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get size(): number {
    return this.listeners.size;
  }
}
