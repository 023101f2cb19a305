import { describe, expect, it } from 'vitest'
import { toJsonSafe } from './toJsonSafe.js'

describe('toJsonSafe', () => {
  it('copies plain data as it is', () => {
    const value = { a: 1, b: 'x', c: [true, null, { d: 2 }], e: null }
    expect(toJsonSafe(value)).toEqual(value)
  })

  it('turns what JSON cannot carry into what it means, or drops it', () => {
    const map = new Map<string, unknown>([['k', 1]])
    const value = {
      big: 10n,
      at: new Date(0),
      url: new URL('https://example.com/a'),
      map,
      set: new Set([1, 2]),
      error: new TypeError('boom'),
      nan: Number.NaN,
      bytes: Buffer.from('abc'),
      run: () => 1,
      symbol: Symbol('s'),
      missing: undefined,
      list: [undefined, () => 1, 1],
      instance: new (class Handle {})(),
    }
    expect(toJsonSafe(value)).toEqual({
      big: '10',
      at: '1970-01-01T00:00:00.000Z',
      url: 'https://example.com/a',
      map: { k: 1 },
      set: [1, 2],
      error: { name: 'TypeError', message: 'boom' },
      nan: null,
      list: [null, null, 1],
    })
  })

  it('cuts a circular reference but copies an object met twice side by side', () => {
    const shared = { n: 1 }
    const looped: Record<string, unknown> = { shared, again: shared }
    looped.self = looped
    expect(toJsonSafe(looped)).toEqual({ shared: { n: 1 }, again: { n: 1 } })
  })

  it('drops a value whose getter throws, keeping the rest', () => {
    const value = { ok: 1, get bad(): number { throw new Error('no') } }
    expect(toJsonSafe(value)).toEqual({ ok: 1 })
  })
})
