import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { fingerprint } from './fingerprint.js'

const endpoint = 'https://example.com/files/'
const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest('hex')

interface PhotoOverrides {
  name?: string
  type?: string
  lastModified?: number
}

function photo(bytes: Uint8Array<ArrayBuffer>, overrides: PhotoOverrides = {}) {
  const { name = 'photo.jpg', type = 'image/jpeg', lastModified = 1_700_000_000_000 } = overrides
  return new File([bytes], name, { type, lastModified })
}

/** Records the ranges read, to prove only the head of the file is read. */
class RecordingFile extends File {
  slices: Array<[number | undefined, number | undefined]> = []
  override slice(start?: number, end?: number, type?: string): Blob {
    this.slices.push([start, end])
    return super.slice(start, end, type)
  }
}

const bytes = new Uint8Array(100_000).map((_, i) => i % 251)

describe('fingerprint', () => {
  it('hashes name, size, type, date, endpoint and the first 64 KiB as ferry:v1:<hex>', async () => {
    const identity = JSON.stringify([
      'photo.jpg',
      bytes.length,
      'image/jpeg',
      1_700_000_000_000,
      endpoint,
      sha256(bytes.subarray(0, 65_536)),
    ])
    expect(await fingerprint(photo(bytes), { endpoint })).toBe(`ferry:v1:${sha256(identity)}`)
  })

  it('is stable for the same file', async () => {
    const first = await fingerprint(photo(bytes), { endpoint })
    expect(await fingerprint(photo(bytes.slice()), { endpoint })).toBe(first)
  })

  it.each([
    ['name', photo(bytes, { name: 'other.jpg' }), endpoint],
    ['type', photo(bytes, { type: 'image/png' }), endpoint],
    ['modification time', photo(bytes, { lastModified: 1 }), endpoint],
    ['size', photo(bytes.subarray(0, 99_999)), endpoint],
    ['last byte of the first 64 KiB', photo(bytes.map((b, i) => (i === 65_535 ? 0 : b))), endpoint],
    ['endpoint', photo(bytes), 'https://other.example/files/'],
  ])('changes with the %s', async (_, file, otherEndpoint) => {
    const original = await fingerprint(photo(bytes), { endpoint })
    expect(await fingerprint(file, { endpoint: otherEndpoint })).not.toBe(original)
  })

  it('ignores content beyond the first 64 KiB, and reads only that much', async () => {
    const changedLate = photo(bytes.map((b, i) => (i === 65_536 ? b + 1 : b)))
    const original = await fingerprint(photo(bytes), { endpoint })
    expect(await fingerprint(changedLate, { endpoint })).toBe(original)
    const recording = new RecordingFile([bytes], 'photo.jpg')
    await fingerprint(recording, { endpoint })
    expect(recording.slices).toEqual([[0, 65_536]])
  })

  it('fingerprints an empty Blob without a name', async () => {
    expect(await fingerprint(new Blob([]), { endpoint })).toMatch(/^ferry:v1:[0-9a-f]{64}$/)
  })
})
