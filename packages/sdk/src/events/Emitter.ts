type Listener<Payload> = (payload: Payload) => void

/** A typed event map: `on`, `off`, and `emit` for the owner. Listener errors do not stop others. */
export class Emitter<Events extends object> {
  readonly #listeners = new Map<keyof Events, Set<Listener<never>>>()

  on<Name extends keyof Events>(name: Name, listener: Listener<Events[Name]>): this {
    let set = this.#listeners.get(name)
    if (!set) this.#listeners.set(name, (set = new Set()))
    set.add(listener as Listener<never>)
    return this
  }

  off<Name extends keyof Events>(name: Name, listener: Listener<Events[Name]>): this {
    this.#listeners.get(name)?.delete(listener as Listener<never>)
    return this
  }

  protected emit<Name extends keyof Events>(name: Name, payload: Events[Name]): void {
    for (const listener of this.#listeners.get(name) ?? []) {
      try {
        ;(listener as Listener<Events[Name]>)(payload)
      } catch (error) {
        queueMicrotask(() => {
          throw error
        })
      }
    }
  }
}
