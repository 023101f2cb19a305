import { describe, expect, it } from 'vitest'
import { combineHooks } from './runHooks.js'
import { HookRejection } from './types.js'

const upload = { id: 'u1', size: 1, offset: 0, metadata: {} }

describe('combineHooks', () => {
  it('runs each set’s post-* hook in order, even after one fails, then passes the first failure on', async () => {
    const ran: string[] = []
    const hooks = combineHooks(
      { 'post-create': () => void ran.push('app') },
      { 'post-create': () => Promise.reject(new Error('outbox write failed')) },
      { 'post-create': () => void ran.push('third') },
    )
    await expect(hooks['post-create']?.({ upload })).rejects.toThrow('outbox write failed')
    expect(ran).toEqual(['app', 'third'])
  })

  it('stops at the first pre-* hook that refuses', async () => {
    const ran: string[] = []
    const hooks = combineHooks(
      { 'pre-create': () => { throw new HookRejection(400, 'no name') } },
      { 'pre-create': () => void ran.push('second') },
    )
    await expect(hooks['pre-create']?.({ request: new Request('http://ferry.invalid/'), upload })).rejects.toBeInstanceOf(HookRejection)
    expect(ran).toEqual([])
  })

  it('has a hook only for events some set handles', () => {
    expect(Object.keys(combineHooks({ 'post-finish': () => {} }, undefined, {}))).toEqual(['post-finish'])
  })
})
