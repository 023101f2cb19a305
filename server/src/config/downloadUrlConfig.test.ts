import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from './loadConfig.js'

describe('download URL configuration', () => {
  it('has no secret of its own and an hour-long lifetime by default', () => {
    expect(loadConfig({}).downloadUrls).toEqual({ secret: undefined, ttlSeconds: 3600 })
  })

  it('reads the secret and the lifetime', () => {
    const secret = 'x'.repeat(32)
    expect(loadConfig({ FERRY_DOWNLOAD_URL_SECRET: secret, FERRY_DOWNLOAD_URL_TTL_SECONDS: '604800' }).downloadUrls).toEqual({
      secret,
      ttlSeconds: 604_800,
    })
  })

  it('names a short secret and each bad lifetime, one line each', () => {
    const both = () => loadConfig({ FERRY_DOWNLOAD_URL_SECRET: 'short', FERRY_DOWNLOAD_URL_TTL_SECONDS: '0' })
    expect(both).toThrow(ConfigError)
    expect(both).toThrow(
      [
        'ferry-server: invalid configuration',
        '  - FERRY_DOWNLOAD_URL_SECRET must be at least 32 characters (openssl rand -hex 32), got 5',
        '  - FERRY_DOWNLOAD_URL_TTL_SECONDS must be a whole number from 1 to 604800, got "0"',
      ].join('\n'),
    )
    for (const ttl of ['604801', '1h', '-5', '2.5']) {
      expect(() => loadConfig({ FERRY_DOWNLOAD_URL_TTL_SECONDS: ttl })).toThrow(
        `FERRY_DOWNLOAD_URL_TTL_SECONDS must be a whole number from 1 to 604800, got "${ttl}"`,
      )
    }
  })
})
