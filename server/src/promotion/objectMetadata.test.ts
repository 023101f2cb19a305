import { describe, expect, it } from 'vitest'
import type { FileRecord } from '../storage/types.js'
import { promotedMetadataOf, toS3Metadata } from './objectMetadata.js'

const record: FileRecord = {
  id: 'abc',
  key: 'abc',
  size: 3,
  sha256: 'f'.repeat(64),
  type: 'application/pdf',
  name: 'résumé 100%.pdf',
  owner: 'alice',
  state: 'verified',
  finishedAt: '2026-11-28T12:00:00.000Z',
}

describe('promotedMetadataOf', () => {
  it('names the original, the uploader, the digest and the upload, and the client when given', () => {
    expect(promotedMetadataOf(record)).toEqual({
      'original-name': 'résumé 100%.pdf',
      uploader: 'alice',
      sha256: 'f'.repeat(64),
      'upload-id': 'abc',
    })
    expect(
      promotedMetadataOf({ ...record, name: null }, { userAgent: 'curl/8', ip: '203.0.113.7' }),
    ).toEqual({
      uploader: 'alice',
      sha256: 'f'.repeat(64),
      'upload-id': 'abc',
      'user-agent': 'curl/8',
      'client-ip': '203.0.113.7',
    })
  })
})

describe('toS3Metadata', () => {
  it('percent-encodes what a header cannot carry, reversibly', () => {
    const headers = toS3Metadata(promotedMetadataOf(record))
    expect(headers['original-name']).toBe('r%C3%A9sum%C3%A9 100%25.pdf')
    expect(decodeURIComponent(headers['original-name'] ?? '')).toBe('résumé 100%.pdf')
    expect(
      toS3Metadata(promotedMetadataOf({ ...record, name: '🦀\r\n.txt' }))['original-name'],
    ).toBe('%F0%9F%A6%80%0D%0A.txt')
  })

  it('cuts long values at a character boundary', () => {
    const headers = toS3Metadata(promotedMetadataOf({ ...record, name: 'é'.repeat(400) }))
    const name = headers['original-name'] ?? ''
    expect(name.length).toBeLessThanOrEqual(1024)
    expect(decodeURIComponent(name)).toBe('é'.repeat(name.length / 6))
    const agent =
      toS3Metadata(promotedMetadataOf(record, { userAgent: `a${'€'.repeat(300)}` }))[
        'user-agent'
      ] ?? ''
    expect(agent.length).toBeLessThanOrEqual(512)
    expect(() => decodeURIComponent(agent)).not.toThrow()
  })
})
