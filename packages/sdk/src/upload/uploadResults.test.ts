import { DetailedError } from 'tus-js-client'
import { describe, expect, it } from 'vitest'
import { FerryError } from '../errors.js'
import { fromTusError } from './uploadResults.js'

describe('fromTusError', () => {
  it('turns an error event without a message (an XHR that failed) into a network FerryError', () => {
    const event = new Event('error')
    const error = fromTusError(event)
    expect(error).toBeInstanceOf(FerryError)
    expect(error.code).toBe('network')
    expect(error.message).toMatch(/without an answer the browser could read/)
    expect(error.cause).toBe(event)
  })

  it('keeps a plain Error as a network FerryError, without the tus prefix', () => {
    const cause = new Error('tus: failed to upload chunk')
    const error = fromTusError(cause)
    expect(error.code).toBe('network')
    expect(error.message).toBe('ferry: failed to upload chunk')
    expect(error.cause).toBe(cause)
  })

  it('reads the status and body of a DetailedError with a response', () => {
    const response = { getStatus: () => 413, getBody: () => '{"error":{"code":"too-large","message":"too big"}}' }
    // The runtime constructor takes (message, causingError, request, response); the types omit it.
    const detailed = new (DetailedError as unknown as new (...args: unknown[]) => DetailedError)(
      'tus: unexpected response',
      undefined,
      undefined,
      response,
    )
    const error = fromTusError(detailed)
    expect(error.status).toBe(413)
  })
})
