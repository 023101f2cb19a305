import { describe, expect, it } from 'vitest'
import { clientInfoOf } from './clientInfo.js'

const request = (headers: Record<string, string>) =>
  new Request('http://localhost/files/abc', { headers })

describe('clientInfoOf', () => {
  it('takes the user agent, and the forwarded address only behind a trusted proxy', () => {
    const forwarded = request({
      'user-agent': 'curl/8',
      'x-forwarded-for': '203.0.113.7, 10.0.0.1',
    })
    expect(clientInfoOf(forwarded, { trustProxy: true })).toEqual({
      userAgent: 'curl/8',
      ip: '203.0.113.7',
    })
    expect(clientInfoOf(forwarded, { trustProxy: false })).toEqual({ userAgent: 'curl/8' })
  })

  it('reads Forwarded: for=, IPv6 included, and ignores what is not an address', () => {
    expect(
      clientInfoOf(request({ forwarded: 'for="[2001:db8::1]:4711";proto=https' }), {
        trustProxy: true,
      }),
    ).toEqual({
      ip: '2001:db8::1',
    })
    expect(clientInfoOf(request({ 'x-forwarded-for': 'not-an-ip' }), { trustProxy: true })).toEqual(
      {},
    )
    expect(clientInfoOf(undefined, { trustProxy: true })).toEqual({})
  })
})
