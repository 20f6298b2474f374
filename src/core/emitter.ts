/**
 * A minimal typed event emitter: the part of Node's EventEmitter API a client needs (`on`, `once`,
 * `off`, `emit`, `removeAllListeners`, `listenerCount`, and the `addListener`/`removeListener`
 * aliases), in a few hundred bytes, so the browser core carries no emitter dependency.
 *
 * Listeners run synchronously in the order they were added. `emit` walks a copy of the list, so a
 * listener that removes itself (or another) during an emit does not make the next one skip.
 */

// `any` stays inside this file: it is what lets a map of listener signatures constrain `on`/`emit`.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Listener = (...args: any[]) => void;
type EventMap<T> = { [K in keyof T]: Listener };
type Listeners<Events> = { [K in keyof Events]?: Events[K][] };

export class Emitter<Events extends EventMap<Events>> {
  /** Made by the first `on()`: many emitters never get a listener (memory per idle client). */
  #listeners: Listeners<Events> | undefined;

  on<E extends keyof Events>(event: E, listener: Events[E]): this {
    ((this.#listeners ??= {} as Listeners<Events>)[event] ??= []).push(listener);
    return this;
  }

  /** Runs `listener` on the next `event` only. `off(event, listener)` removes it before then. */
  once<E extends keyof Events>(event: E, listener: Events[E]): this {
    const wrapper = ((...args: Parameters<Events[E]>) => {
      this.off(event, wrapper);
      listener(...args);
    }) as Events[E] & { listener?: Events[E] };
    wrapper.listener = listener;
    return this.on(event, wrapper);
  }

  /** Removes the most recently added registration of `listener` for `event` (as Node does). */
  off<E extends keyof Events>(event: E, listener: Events[E]): this {
    const list = this.#listeners?.[event] ?? [];
    for (let i = list.length; i-- > 0; ) {
      const entry = list[i] as Events[E] & { listener?: Events[E] };
      if (entry === listener || entry.listener === listener) {
        list.splice(i, 1);
        break;
      }
    }
    return this;
  }

  addListener<E extends keyof Events>(event: E, listener: Events[E]): this {
    return this.on(event, listener);
  }

  removeListener<E extends keyof Events>(event: E, listener: Events[E]): this {
    return this.off(event, listener);
  }

  /** Removes every listener of `event`, or of every event when none is named. */
  removeAllListeners(event?: keyof Events): this {
    if (event === undefined) this.#listeners = undefined;
    else delete this.#listeners?.[event];
    return this;
  }

  listenerCount(event: keyof Events): number {
    return this.#listeners?.[event]?.length ?? 0;
  }

  /** Calls every listener of `event` with `args`; true when there was at least one. */
  emit<E extends keyof Events>(event: E, ...args: Parameters<Events[E]>): boolean {
    const list = this.#listeners?.[event];
    if (list === undefined || list.length === 0) return false;
    for (const listener of [...list]) listener(...args);
    return true;
  }
}
