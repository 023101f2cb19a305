import { gunzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { gzipVariant } from './gzipVariant.js'
import { ProcessingStepError } from './types.js'

const json = Buffer.from(
  JSON.stringify(Array.from({ length: 200 }, (_, id) => ({ id, name: `file-${id}`, ok: true }))),
)

describe('gzipVariant', () => {
  it('makes a gzip variant of JSON that round-trips to the same bytes', async () => {
    const original = Buffer.from(json)
    const [variant, ...rest] = await gzipVariant(json, {
      contentType: 'application/json; charset=utf-8',
      extension: '.json',
    })
    expect(rest).toEqual([])
    expect(variant).toMatchObject({
      suffix: '',
      extension: '.json.gz',
      contentType: 'application/json; charset=utf-8',
      contentEncoding: 'gzip',
    })
    expect(gunzipSync(variant?.bytes ?? Buffer.alloc(0)).equals(json)).toBe(true)
    expect(variant?.bytes.length).toBeLessThan(json.length)
    expect(variant?.info?.compressionRatio).toBeGreaterThan(2)
    expect(json.equals(original)).toBe(true)
  })

  it.each(['text/plain', 'text/csv', 'TEXT/HTML', 'application/ld+json', 'image/svg+xml'])(
    'compresses %s',
    async (contentType) => {
      const outputs = await gzipVariant(json, { contentType })
      expect(outputs).toHaveLength(1)
    },
  )

  it.each(['image/png', 'application/octet-stream', 'application/zip', ''])(
    'leaves %s alone',
    async (contentType) => {
      expect(await gzipVariant(json, { contentType })).toEqual([])
    },
  )

  it('offers no variant when gzip would not be smaller', async () => {
    expect(await gzipVariant(Buffer.from('{}'), { contentType: 'application/json' })).toEqual([])
    expect(await gzipVariant(Buffer.alloc(0), { contentType: 'text/plain' })).toEqual([])
  })

  it('honours a custom list of compressible types', async () => {
    const options = { contentType: 'application/wasm', compressibleTypes: ['application/wasm'] }
    expect(await gzipVariant(json, options)).toHaveLength(1)
    expect(await gzipVariant(json, { ...options, contentType: 'text/plain' })).toEqual([])
  })

  it('rejects a zlib level outside 1 to 9', async () => {
    const failure = gzipVariant(json, { contentType: 'text/plain', level: 12 })
    await expect(failure).rejects.toBeInstanceOf(ProcessingStepError)
    await expect(failure).rejects.toMatchObject({ code: 'invalid-options' })
  })
})
