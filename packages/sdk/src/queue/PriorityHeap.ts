/**
 * A binary heap that knows where each item sits, so an item can be removed or re-ranked in
 * O(log n) instead of a rescan. The queue needs both: a paused file leaves it, and a file whose
 * priority changes moves within it.
 *
 * @example
 * const heap = new PriorityHeap<Job>({ before: (a, b) => a.priority > b.priority })
 * heap.push(job)
 * const next = heap.pop()
 */
export class PriorityHeap<Item> {
  readonly #items: Item[] = []
  readonly #positions = new Map<Item, number>()
  readonly #before: (a: Item, b: Item) => boolean

  /** `before(a, b)` is true when `a` must come out before `b`. */
  constructor({ before }: { before: (a: Item, b: Item) => boolean }) {
    this.#before = before
  }

  get size(): number {
    return this.#items.length
  }

  has(item: Item): boolean {
    return this.#positions.has(item)
  }

  /** Adds `item`; adding an item that is already in the heap re-ranks it instead. */
  push(item: Item): void {
    if (this.#positions.has(item)) return this.update(item)
    this.#items.push(item)
    this.#positions.set(item, this.#items.length - 1)
    this.#siftUp(this.#items.length - 1)
  }

  /** Takes out the item that comes first, if any. */
  pop(): Item | undefined {
    const first = this.#items[0]
    if (first !== undefined) this.remove(first)
    return first
  }

  /** Takes `item` out wherever it is; false when it was not in the heap. */
  remove(item: Item): boolean {
    const index = this.#positions.get(item)
    if (index === undefined) return false
    const last = this.#items.pop() as Item
    this.#positions.delete(item)
    if (index < this.#items.length) {
      this.#place(last, index)
      this.#restore(index)
    }
    return true
  }

  /** Moves `item` to its place after whatever `before` compares has changed. */
  update(item: Item): void {
    const index = this.#positions.get(item)
    if (index !== undefined) this.#restore(index)
  }

  #restore(index: number): void {
    if (this.#siftUp(index) === index) this.#siftDown(index)
  }

  #siftUp(start: number): number {
    let index = start
    const item = this.#items[index] as Item
    while (index > 0) {
      const parentIndex = (index - 1) >> 1
      const parent = this.#items[parentIndex] as Item
      if (!this.#before(item, parent)) break
      this.#place(parent, index)
      index = parentIndex
    }
    this.#place(item, index)
    return index
  }

  #siftDown(start: number): void {
    let index = start
    const item = this.#items[index] as Item
    const length = this.#items.length
    for (;;) {
      let child = 2 * index + 1
      if (child >= length) break
      const right = child + 1
      if (right < length && this.#before(this.#items[right] as Item, this.#items[child] as Item)) {
        child = right
      }
      const first = this.#items[child] as Item
      if (!this.#before(first, item)) break
      this.#place(first, index)
      index = child
    }
    this.#place(item, index)
  }

  #place(item: Item, index: number): void {
    this.#items[index] = item
    this.#positions.set(item, index)
  }
}
