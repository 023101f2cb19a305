import { describe, expect, it } from 'vitest'
import { ConfigError, loadConfig } from './loadConfig.js'

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

  it('reads the shutdown grace in milliseconds and names a bad one', () => {
    expect(loadConfig({}).shutdownGraceMs).toBe(8000)
    expect(loadConfig({ FERRY_SHUTDOWN_GRACE_MS: '250' }).shutdownGraceMs).toBe(250)
    expect(() => loadConfig({ FERRY_SHUTDOWN_GRACE_MS: '5s' })).toThrow(
      'FERRY_SHUTDOWN_GRACE_MS must be a whole number from 0 to 3600000, got "5s"',
    )
  })

  it('reads how often socket-read garbage is collected, in MiB, 0 for never: by default on S3 only', () => {
    expect(loadConfig({}).collectEveryBytes).toBe(0)
    expect(loadConfig({ FERRY_STORE: 's3', FERRY_S3_BUCKET: 'b' }).collectEveryBytes).toBe(8 * 1024 * 1024)
    expect(loadConfig({ FERRY_GC_EVERY_MIB: '8' }).collectEveryBytes).toBe(8 * 1024 * 1024)
    expect(loadConfig({ FERRY_GC_EVERY_MIB: '0' }).collectEveryBytes).toBe(0)
    expect(() => loadConfig({ FERRY_GC_EVERY_MIB: '-1' })).toThrow('FERRY_GC_EVERY_MIB must be a whole number from 0 to 1024, got "-1"')
  })

  it('reads how far V8 may grow its old generation past the live heap, 0 for V8’s own choice', () => {
    expect(loadConfig({}).heapGrowingPercent).toBe(150)
    expect(loadConfig({ FERRY_HEAP_GROWING_PERCENT: '0' }).heapGrowingPercent).toBe(0)
    expect(loadConfig({ FERRY_HEAP_GROWING_PERCENT: '300' }).heapGrowingPercent).toBe(300)
    expect(() => loadConfig({ FERRY_HEAP_GROWING_PERCENT: '1.5' })).toThrow('FERRY_HEAP_GROWING_PERCENT must be a whole number from 0 to 1000, got "1.5"')
  })

  it('refuses CORS origins that no browser sends, naming the origin meant', () => {
    expect(() => loadConfig({ FERRY_CORS_ORIGINS: 'https://a.example, http://localhost:5173/' })).toThrow(
      'FERRY_CORS_ORIGINS must be * or origins like https://app.example.com, got "http://localhost:5173/" (did you mean "http://localhost:5173"?)',
    )
    expect(() => loadConfig({ FERRY_CORS_ORIGINS: 'not a url' })).toThrow('got "not a url"')
  })

  it('splits CORS origins', () => {
    expect(loadConfig({ FERRY_CORS_ORIGINS: 'https://a.example, https://b.example' }).corsOrigins).toEqual([
      'https://a.example',
      'https://b.example',
    ])
  })
})

describe('processing and webhook configuration', () => {
  it('defaults to the embedded queue with the seed concurrency', () => {
    const { processing, webhooks } = loadConfig({})
    expect(processing.queue).toEqual({ kind: 'embedded' })
    expect(processing.queueOptions.concurrency).toMatchObject({ compress: 5, thumbnails: 3, watermark: 2, convert: 3 })
    expect(processing.policy).toMatchObject({ enabled: true, thumbnailSizes: [150, 300, 600], convertFormats: ['webp'] })
    expect(webhooks.urls).toEqual([])
  })

  it('reads BullMQ, job concurrency, watermark and webhooks', () => {
    const config = loadConfig({
      FERRY_QUEUE: 'bullmq',
      FERRY_REDIS_URL: 'redis://127.0.0.1:6379',
      FERRY_JOB_CONCURRENCY: 'thumbnails=1, compress=2',
      FERRY_WATERMARK_TEXT: '© Ferry',
      FERRY_WATERMARK_OPACITY: '0.3',
      FERRY_WEBHOOK_URLS: 'https://hooks.example/ferry',
      FERRY_WEBHOOK_SECRET: 'a-long-enough-secret',
    })
    expect(config.processing.queue).toEqual({ kind: 'bullmq', redisUrl: 'redis://127.0.0.1:6379' })
    expect(config.processing.queueOptions.concurrency).toMatchObject({ thumbnails: 1, compress: 2, watermark: 2 })
    expect(config.processing.policy.watermark).toMatchObject({ text: '© Ferry', opacity: 0.3, position: 'bottom-right' })
    expect(config.webhooks).toMatchObject({ urls: ['https://hooks.example/ferry'], attempts: 8 })
  })

  it('names each bad processing or webhook variable', () => {
    let caught: unknown
    try {
      loadConfig({
        FERRY_QUEUE: 'bullmq',
        FERRY_THUMBNAIL_SIZES: '150,huge',
        FERRY_CONVERT_FORMATS: 'webp,bmp',
        FERRY_JOB_CONCURRENCY: 'resize=2',
        FERRY_WEBHOOK_URLS: 'ftp://example',
      })
    } catch (error) {
      caught = error
    }
    const problems = (caught as ConfigError).problems.join('\n')
    expect(problems).toContain('FERRY_REDIS_URL is required')
    expect(problems).toContain('FERRY_THUMBNAIL_SIZES')
    expect(problems).toContain('FERRY_CONVERT_FORMATS may list webp, avif, png, jpeg, got "bmp"')
    expect(problems).toContain('FERRY_JOB_CONCURRENCY entries must be TYPE=N')
    expect(problems).toContain('FERRY_WEBHOOK_URLS must list http(s) URLs')
    expect(problems).toContain('FERRY_WEBHOOK_SECRET is required')
  })
})
