/** Event name -> handler signature, as socket.io's typed event maps are written. */
export type HandlerMap<T> = { [K in keyof T]: (...args: never[]) => void };

/**
 * Handlers kept on our side rather than on the socket: they survive reconnects and a
 * handler that throws is reported instead of breaking the others.
 */
export class ListenerRegistry<Events extends HandlerMap<Events>> {
  private readonly handlers = new Map<keyof Events, Set<Events[keyof Events]>>();

  constructor(private readonly onHandlerError: (error: unknown, event: keyof Events) => void) {}

  add<E extends keyof Events>(event: E, handler: Events[E]): () => void {
    let set = this.handlers.get(event);
    if (!set) {
      set = new Set();
      this.handlers.set(event, set);
    }
    set.add(handler);
    return () => this.remove(event, handler);
  }

  remove<E extends keyof Events>(event: E, handler: Events[E]): void {
    this.handlers.get(event)?.delete(handler);
  }

  emit<E extends keyof Events>(event: E, ...args: Parameters<Events[E]>): void {
    const set = this.handlers.get(event);
    if (!set) return;
    for (const handler of [...set]) {
      try {
        (handler as (...params: Parameters<Events[E]>) => void)(...args);
      } catch (error) {
        this.onHandlerError(error, event);
      }
    }
  }

  clear(): void {
    this.handlers.clear();
  }
}
