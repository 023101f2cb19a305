import { describe, expect, it } from 'vitest'
import { signWebhook, verifyWebhookSignature } from './signature.js'

const secret = 'a-secret-of-16-chars'
const body = '{"id":"d1","event":"post-finish"}'
const timestamp = 1_700_000_000
const at = (seconds: number) => () => seconds * 1000

describe('signWebhook', () => {
  it('matches an HMAC-SHA256 computed independently (openssl dgst -sha256 -hmac)', () => {
    expect(signWebhook({ secret, timestamp, body })).toBe(
      'sha256=3eee70805dd7e77ce75a6551ad5833ea7d69a25070a5a836e39da8eb9470925d',
    )
  })
})

describe('verifyWebhookSignature', () => {
  const signature = signWebhook({ secret, timestamp, body })
  const valid = { secret, timestamp: String(timestamp), body, signature, now: at(timestamp + 10) }

  it('accepts what signWebhook signed, with the timestamp as a header string', () => {
    expect(verifyWebhookSignature(valid)).toBe(true)
  })

  it('rejects a tampered body, a wrong secret and a changed timestamp', () => {
    expect(verifyWebhookSignature({ ...valid, body: body.replace('d1', 'd2') })).toBe(false)
    expect(verifyWebhookSignature({ ...valid, secret: 'another-secret-of-16' })).toBe(false)
    expect(verifyWebhookSignature({ ...valid, timestamp: String(timestamp + 1) })).toBe(false)
  })

  it('rejects a stale or far-future timestamp as a replay, within the tolerance it accepts', () => {
    expect(verifyWebhookSignature({ ...valid, now: at(timestamp + 301) })).toBe(false)
    expect(verifyWebhookSignature({ ...valid, now: at(timestamp - 301) })).toBe(false)
    expect(verifyWebhookSignature({ ...valid, now: at(timestamp + 300) })).toBe(true)
    const lenient = { ...valid, now: at(timestamp + 900), toleranceSeconds: 1000 }
    expect(verifyWebhookSignature(lenient)).toBe(true)
  })

  it('rejects a missing or malformed signature or timestamp without throwing', () => {
    expect(verifyWebhookSignature({ ...valid, signature: null })).toBe(false)
    expect(verifyWebhookSignature({ ...valid, signature: 'sha256=00' })).toBe(false)
    expect(verifyWebhookSignature({ ...valid, signature: signature.toUpperCase() })).toBe(false)
    expect(verifyWebhookSignature({ ...valid, timestamp: '' })).toBe(false)
    expect(verifyWebhookSignature({ ...valid, timestamp: '1.7e9' })).toBe(false)
    expect(verifyWebhookSignature({ ...valid, secret: '' })).toBe(false)
  })
})
