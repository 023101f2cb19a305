import { describe, expect, it } from 'vitest'
import { checkUploadOptions } from './checkUploadOptions.js'

describe('checkUploadOptions', () => {
  it('accepts the defaults, Infinity chunks and zero retries', () => {
    expect(() => checkUploadOptions({ endpoint: '/files/' })).not.toThrow()
    expect(() =>
      checkUploadOptions({ endpoint: '/files/', chunkSize: Number.POSITIVE_INFINITY, retry: { maxAttempts: 0 }, stallTimeout: 0 }),
    ).not.toThrow()
  })

  it.each([
    [{}, 'endpoint must be'],
    [{ endpoint: ' ' }, 'endpoint must be'],
    [{ endpoint: '/f', chunkSize: 0 }, 'chunkSize must be a whole number of bytes of at least 1 (or Infinity), not 0'],
    [{ endpoint: '/f', chunkSize: 1.5 }, 'chunkSize must be'],
    [{ endpoint: '/f', parallelUploads: 0 }, 'parallelUploads must be'],
    [{ endpoint: '/f', stallTimeout: -1 }, 'stallTimeout must be'],
    [{ endpoint: '/f', retry: { maxAttempts: -1 } }, 'retry.maxAttempts must be'],
    [{ endpoint: '/f', retry: { baseDelay: Number.NaN } }, 'retry.baseDelay must be'],
    [{ endpoint: '/f', headers: { Authorization: 42 } }, 'headers.Authorization must be a string, not 42'],
  ])('refuses %j with invalid-option', (options, message) => {
    expect(() => checkUploadOptions(options as never)).toThrow(expect.objectContaining({ code: 'invalid-option', message: expect.stringContaining(message) }))
  })
})
