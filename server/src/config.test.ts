import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from './config.js'

describe('loadConfig', () => {
  it('defaults to the embedded disk store on 127.0.0.1:3000', () => {
    const config = loadConfig({}, '/srv/app')
    expect(config).toMatchObject({
      port: 3000,
      host: '127.0.0.1',
      store: { kind: 'disk', directory: '/srv/app/data' },
      corsOrigins: '*',
    })
  })

  it('reads an S3 store', () => {
    const config = loadConfig({
      FERRY_STORE: 's3',
      FERRY_S3_BUCKET: 'uploads',
      FERRY_S3_ENDPOINT: 'http://127.0.0.1:8380',
      FERRY_S3_ACCESS_KEY_ID: 'test:tester',
      FERRY_S3_SECRET_ACCESS_KEY: 'testing',
    })
    expect(config.store).toMatchObject({
      kind: 's3',
      bucket: 'uploads',
      forcePathStyle: true,
      region: 'us-east-1',
    })
  })

  it('names every bad variable at once', () => {
    let caught: unknown
    try {
      loadConfig({ PORT: 'eighty', FERRY_STORE: 's3', FERRY_S3_ACCESS_KEY_ID: 'x', FERRY_CORS_ORIGINS: '' })
    } catch (error) {
      caught = error
    }
    expect(caught).toBeInstanceOf(ConfigError)
    const problems = (caught as ConfigError).problems.join('\n')
    expect(problems).toContain('PORT must be a whole number')
    expect(problems).toContain('FERRY_S3_BUCKET is required')
    expect(problems).toContain('FERRY_S3_SECRET_ACCESS_KEY must be set together')
  })

  it('rejects an unknown store and a non-boolean flag', () => {
    expect(() => loadConfig({ FERRY_STORE: 'gcs' })).toThrow(/FERRY_STORE must be one of disk, s3/)
    expect(() => loadConfig({ FERRY_S3_FORCE_PATH_STYLE: 'maybe', FERRY_STORE: 's3', FERRY_S3_BUCKET: 'b' })).toThrow(
      /FERRY_S3_FORCE_PATH_STYLE must be true or false/,
    )
  })

  it('splits CORS origins', () => {
    expect(loadConfig({ FERRY_CORS_ORIGINS: 'https://a.example, https://b.example' }).corsOrigins).toEqual([
      'https://a.example',
      'https://b.example',
    ])
  })
})
