import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { FerryHttpError } from '../errors.js'
import { createChunkHasher, requestedChecksum } from './chunkChecksum.js'

const sum = (algorithm: string, bytes: Uint8Array) => `${algorithm} ${createHash(algorithm).update(bytes).digest('base64')}`
const bytes = new TextEncoder().encode('a chunk of an upload')
const noTrailer = () => undefined

function refusalOf(run: () => unknown): FerryHttpError {
  try {
    run()
  } catch (error) {
    if (error instanceof FerryHttpError) return error
    throw error
  }
  throw new Error('expected a refusal')
}

describe('requestedChecksum', () => {
  it('reads the header, and nothing when neither a header nor a trailer is announced', () => {
    expect(requestedChecksum({ headers: new Headers(), readTrailer: noTrailer })).toBeUndefined()
    const value = sum('sha1', bytes)
    expect(requestedChecksum({ headers: new Headers({ 'Upload-Checksum': value }), readTrailer: noTrailer })).toEqual({
      source: 'header',
      algorithm: 'sha1',
      expected: value.split(' ')[1],
    })
  })

  it('takes a trailer announced among others on a chunked body', () => {
    const headers = new Headers({ Trailer: 'X-Other, upload-checksum', 'Transfer-Encoding': 'chunked' })
    expect(requestedChecksum({ headers, readTrailer: noTrailer })?.source).toBe('trailer')
  })

  it.each([
    ['an unknown algorithm', { 'Upload-Checksum': 'crc32 AAAA' }, 'checksum-algorithm'],
    ['a value that is not base64', { 'Upload-Checksum': 'sha1 not*base64' }, 'checksum-invalid'],
    ['a value of another length than the digest', { 'Upload-Checksum': 'sha256 AAAA' }, 'checksum-invalid'],
    ['a trailer and the header', { 'Upload-Checksum': sum('sha1', bytes), Trailer: 'Upload-Checksum', 'Transfer-Encoding': 'chunked' }, 'checksum-invalid'],
    ['a trailer on a body with a length', { Trailer: 'Upload-Checksum', 'Content-Length': '10' }, 'checksum-invalid'],
  ])('refuses %s with 400', (_label, headers, code) => {
    const refusal = refusalOf(() => requestedChecksum({ headers: new Headers(headers), readTrailer: noTrailer }))
    expect(refusal.status).toBe(400)
    expect(refusal.code).toBe(code)
  })
})

describe('createChunkHasher', () => {
  it('passes a chunk whose header checksum matches, and refuses another with 460', () => {
    const good = createChunkHasher({ source: 'header', algorithm: 'md5', expected: sum('md5', bytes).split(' ')[1] ?? '' })
    good.update(bytes.subarray(0, 5))
    good.update(bytes.subarray(5))
    expect(good.verdict()).toBeUndefined()
    const bad = createChunkHasher({ source: 'header', algorithm: 'md5', expected: sum('md5', bytes).split(' ')[1] ?? '' })
    bad.update(bytes.subarray(1))
    expect(bad.verdict()?.status).toBe(460)
  })

  it.each(['sha1', 'md5', 'sha256'])('judges a %s trailer read after the body, once', (algorithm) => {
    let reads = 0
    const hasher = createChunkHasher({ source: 'trailer', read: () => (reads++, sum(algorithm, bytes)) })
    hasher.update(bytes)
    expect(hasher.verdict()).toBeUndefined()
    expect(hasher.verdict()).toBeUndefined()
    expect(reads).toBe(1)
  })

  it('refuses a trailer that never came (400) or names another chunk (460)', () => {
    const missing = createChunkHasher({ source: 'trailer', read: noTrailer })
    missing.update(bytes)
    expect(missing.verdict()?.code).toBe('checksum-trailer-missing')
    const other = createChunkHasher({ source: 'trailer', read: () => sum('sha256', bytes.subarray(2)) })
    other.update(bytes)
    expect(other.verdict()?.status).toBe(460)
    const unknown = createChunkHasher({ source: 'trailer', read: () => 'crc32 AAAA' })
    expect(unknown.verdict()?.code).toBe('checksum-algorithm')
  })
})
