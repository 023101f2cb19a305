import { describe, expect, it } from 'vitest'
import { fingerprint } from '../storage/fingerprint.js'
import { validateBatch } from './validateFiles.js'

// The same checks on the DOM's own File and Blob (happy-dom's here), as a page would pass them.
describe('validation and fingerprinting with DOM Files', () => {
  it('runs in a DOM environment', () => {
    expect(typeof document).toBe('object')
  })

  it('sniffs DOM Files before anything is sent', async () => {
    const exeBytes = new Uint8Array([0x4d, 0x5a, 0x90, 0])
    const pngBytes = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
    const exe = new File([exeBytes], 'photo.jpg', { type: 'image/jpeg' })
    const png = new File([pngBytes], 'b.png', { type: 'image/png' })
    const { accepted, rejected } = await validateBatch([exe, png], { allowedTypes: ['image/*'] })
    expect(accepted).toEqual([png])
    expect(rejected[0]?.error.message).toBe(
      'ferry: photo.jpg looks like application/x-msdownload, not an allowed type',
    )
  })

  it('fingerprints a DOM File', async () => {
    const file = () => new File(['hello'], 'a.txt', { type: 'text/plain', lastModified: 1 })
    const endpoint = 'https://example.com/files/'
    const first = await fingerprint(file(), { endpoint })
    expect(first).toMatch(/^ferry:v1:[0-9a-f]{64}$/)
    expect(await fingerprint(file(), { endpoint })).toBe(first)
  })
})
