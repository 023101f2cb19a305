import { Upload } from '@tus/utils'
import { describe, expect, it } from 'vitest'
import { FerryHttpError } from '../errors.js'
import { png } from '../policy/sampleFilesTestKit.js'
import { createUploadPolicy } from './createUploadPolicy.js'

const policy = createUploadPolicy({ enabled: true, defaultTier: 'basic', uploadsPerMinute: 0 })
const complete = (size: number, metadata: Record<string, string>) => new Upload({ id: 'u1', size, offset: size, metadata })
const readerOf = (bytes: Uint8Array) => async (count: number) => bytes.subarray(0, count)

describe('checkFinished', () => {
  it('judges the content of every completed upload, however its bytes came (not only finals)', async () => {
    const exe = Buffer.concat([Buffer.from('MZ\x90\x00', 'latin1'), Buffer.alloc(200)])
    const refusal = await policy.checkFinished(complete(exe.length, { filename: 'a.png', filetype: 'image/png' }), readerOf(exe)).catch((error: unknown) => error)
    expect(refusal).toBeInstanceOf(FerryHttpError)
    expect(refusal).toMatchObject({ status: 415, code: 'content-mismatch' })
  })

  it('reads no more than the sniffed window, and accepts content that is what it declares', async () => {
    const bytes = Buffer.concat([await png(), Buffer.alloc(10_000)])
    const asked: number[] = []
    await policy.checkFinished(complete(bytes.length, { filename: 'a.png', filetype: 'image/png' }), async (count) => {
      asked.push(count)
      return bytes.subarray(0, count)
    })
    expect(asked).toEqual([policy.sniffBytes])
  })
})
