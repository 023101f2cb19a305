import { describe, expect, it } from 'vitest'
import { PriorityHeap } from './PriorityHeap.js'

interface Job {
  priority: number
  order: number
}

const before = (a: Job, b: Job) =>
  a.priority !== b.priority ? a.priority > b.priority : a.order < b.order
const rank = (jobs: Job[]) => [...jobs].sort((a, b) => (before(a, b) ? -1 : before(b, a) ? 1 : 0))

/** A small deterministic generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31
    return state / 2 ** 31
  }
}

function drain(heap: PriorityHeap<Job>): Job[] {
  const out: Job[] = []
  for (let job = heap.pop(); job; job = heap.pop()) out.push(job)
  return out
}

describe('PriorityHeap', () => {
  it('pops highest priority first and, within a priority, first in', () => {
    const heap = new PriorityHeap<Job>({ before })
    const jobs = [0, 5, 1, 5, 0, 9].map((priority, order) => ({ priority, order }))
    for (const job of jobs) heap.push(job)
    expect(drain(heap).map((job) => job.order)).toEqual([5, 1, 3, 2, 0, 4])
    expect(heap.size).toBe(0)
    expect(heap.pop()).toBeUndefined()
  })

  it('removes and re-ranks items anywhere in the heap', () => {
    const next = random(7)
    const heap = new PriorityHeap<Job>({ before })
    const priority = () => Math.floor(next() * 10)
    const jobs = Array.from({ length: 500 }, (_, order) => ({ priority: priority(), order }))
    for (const job of jobs) heap.push(job)
    const removed = new Set(jobs.filter(() => next() < 0.3))
    for (const job of removed) expect(heap.remove(job)).toBe(true)
    for (const job of jobs.filter(() => next() < 0.3)) {
      job.priority = priority()
      heap.update(job)
    }
    const kept = jobs.filter((job) => !removed.has(job))
    expect(heap.size).toBe(kept.length)
    expect(drain(heap)).toEqual(rank(kept))
  })

  it('treats a second push of the same item as a re-rank, and ignores unknown items', () => {
    const heap = new PriorityHeap<Job>({ before })
    const low = { priority: 0, order: 0 }
    const high = { priority: 1, order: 1 }
    heap.push(low)
    heap.push(high)
    low.priority = 2
    heap.push(low)
    expect(heap.size).toBe(2)
    expect(heap.remove({ priority: 0, order: 9 })).toBe(false)
    expect(heap.has(low)).toBe(true)
    expect(drain(heap)).toEqual([low, high])
    expect(heap.has(low)).toBe(false)
  })
})
