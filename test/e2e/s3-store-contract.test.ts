import { createHash, randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { Upload } from '@tus/utils'
import { describe, expect, inject, it } from 'vitest'
import { createS3Backend } from '../../server/src/storage/s3Backend.js'
import { createTestBucket, type TestBucket } from '../helpers/s3.js'
import { selectedStores } from '../helpers/stores.js'

const MIB = 1024 * 1024
const PART = 5 * MIB

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex')

/** The S3 store the server builds, on a fresh bucket; `open()` again is a restarted server. */
async function prepareBucket(rememberProgress: boolean) {
  const s3 = inject('s3')
  const bucket = await createTestBucket(s3)
  const open = () =>
    createS3Backend({
      bucket: bucket.name,
      region: s3.region,
      endpoint: s3.endpoint,
      forcePathStyle: true,
      accessKeyId: s3.accessKeyId,
      secretAccessKey: s3.secretAccessKey,
      partSize: PART,
      rememberProgress,
    }).datastore
  return { bucket, open }
}

async function storedObject(bucket: TestBucket, key: string): Promise<string> {
  const response = await bucket.client.getObject({ Bucket: bucket.name, Key: key })
  return sha256(await response.Body!.transformToByteArray())
}

/** `bytes` in 64 KiB chunks, as a request body arrives. */
const body = (bytes: Buffer) => Readable.from((function* () {
  for (let start = 0; start < bytes.length; start += 64 * 1024) yield bytes.subarray(start, start + 64 * 1024)
})())

const modes = [
  { rememberProgress: true, name: 'one instance, remembering parts' },
  { rememberProgress: false, name: 'several instances, reading parts from S3' },
]

describe.skipIf(!selectedStores().includes('s3')).each(modes)('the S3 store on a real S3 server ($name)', ({ rememberProgress }) => {
  const prepare = () => prepareBucket(rememberProgress)

  it('takes requests of any length, keeps short tails in <id>.part, and continues after a restart', async () => {
    const { bucket, open } = await prepare()
    const bytes = randomBytes(17 * MIB + 5)
    const id = randomBytes(16).toString('hex')
    let store = open()
    await store.create(new Upload({ id, size: bytes.length, offset: 0, metadata: {} }))
    const cuts = [0, 1 * MIB, 4 * MIB + 1, 10 * MIB + 1, 12 * MIB, bytes.length]
    for (let index = 0; index + 1 < cuts.length; index++) {
      const [start, end] = [cuts[index]!, cuts[index + 1]!]
      // A new process half-way: it must learn the parts and the tail from S3.
      if (index === 2) store = open()
      expect((await store.getUpload(id)).offset).toBe(start)
      expect(await store.write(body(bytes.subarray(start, end)), id, start)).toBe(end)
      if (end < bytes.length) expect((await store.getUpload(id)).offset).toBe(end)
    }
    expect((await open().getUpload(id)).offset).toBe(bytes.length)
    // A client that lost the answer to its last PATCH may send an empty one at the end.
    expect(await open().write(body(Buffer.alloc(0)), id, bytes.length)).toBe(bytes.length)
    expect(await storedObject(bucket, id)).toBe(sha256(bytes))
    expect(await bucket.keys()).toEqual([id, `${id}.info`])
  })

  it('counts parts only up to the first gap and replaces what lies beyond it', async () => {
    const { bucket, open } = await prepare()
    const bytes = randomBytes(4 * PART)
    const id = randomBytes(16).toString('hex')
    const store = open()
    await store.create(new Upload({ id, size: bytes.length, offset: 0, metadata: {} }))
    await store.write(body(bytes.subarray(0, 2 * PART)), id, 0)
    // Part 4 landed while part 3 failed (parts go up concurrently): stale bytes behind a gap.
    const info = await bucket.client.headObject({ Bucket: bucket.name, Key: `${id}.info` })
    await bucket.client.uploadPart({
      Bucket: bucket.name,
      Key: id,
      UploadId: info.Metadata?.['upload-id'],
      PartNumber: 4,
      Body: randomBytes(PART),
    })
    const restarted = open()
    expect((await restarted.getUpload(id)).offset).toBe(2 * PART)
    expect(await restarted.write(body(bytes.subarray(2 * PART)), id, 2 * PART)).toBe(bytes.length)
    expect(await storedObject(bucket, id)).toBe(sha256(bytes))
  })

  it('keeps the parts of a request that broke off, and resumes from them', async () => {
    const { bucket, open } = await prepare()
    const bytes = randomBytes(3 * PART)
    const id = randomBytes(16).toString('hex')
    const store = open()
    await store.create(new Upload({ id, size: bytes.length, offset: 0, metadata: {} }))
    const broken = Readable.from(
      (async function* () {
        yield* body(bytes.subarray(0, PART + 2 * MIB))
        throw new Error('client went away')
      })(),
    )
    await expect(store.write(broken, id, 0)).rejects.toThrow('client went away')
    const offset = (await store.getUpload(id)).offset
    expect(offset).toBe(PART)
    expect(await store.write(body(bytes.subarray(offset)), id, offset)).toBe(bytes.length)
    expect(await storedObject(bucket, id)).toBe(sha256(bytes))
  })

  it('completes an upload whose length was declared late', async () => {
    const { bucket, open } = await prepare()
    const bytes = randomBytes(PART + 3 * MIB)
    const id = randomBytes(16).toString('hex')
    const store = open()
    await store.create(new Upload({ id, offset: 0, metadata: {} }))
    expect(await store.write(body(bytes.subarray(0, 6 * MIB)), id, 0)).toBe(6 * MIB)
    await store.declareUploadLength(id, bytes.length)
    expect(await store.write(body(bytes.subarray(6 * MIB)), id, 6 * MIB)).toBe(bytes.length)
    expect(await storedObject(bucket, id)).toBe(sha256(bytes))
  })

  it('appends other objects by server-side copy where S3 takes them as parts', async () => {
    const { bucket, open } = await prepare()
    const pieces = [randomBytes(PART + 1000), randomBytes(MIB), randomBytes(4 * MIB), randomBytes(PART), randomBytes(2 * MIB)]
    for (const [index, piece] of pieces.entries()) {
      await bucket.client.putObject({ Bucket: bucket.name, Key: `piece-${index}`, Body: piece })
    }
    const whole = Buffer.concat(pieces)
    const id = randomBytes(16).toString('hex')
    const store = open() as ReturnType<typeof open> & {
      appendCopy(id: string, offset: number, source: { key: string; start: number; end: number }): Promise<number | undefined>
    }
    await store.create(new Upload({ id, size: whole.length - 100, offset: 0, metadata: {} }))
    let offset = 0
    const copiedOrWritten: string[] = []
    for (const [index, piece] of pieces.entries()) {
      // The first 100 bytes of the first piece are left out: a ranged copy.
      const start = index === 0 ? 100 : 0
      const copied = await store.appendCopy(id, offset, { key: `piece-${index}`, start, end: piece.length - 1 })
      copiedOrWritten.push(copied === undefined ? 'written' : 'copied')
      offset = copied ?? (await store.write(body(piece.subarray(start)), id, offset))
    }
    // 1 MiB cannot be a part and is kept as a tail, which the next piece must follow through this
    // process; that fills a part exactly, so copies resume, and the last piece may be short.
    expect(copiedOrWritten).toEqual(['copied', 'written', 'written', 'copied', 'copied'])
    expect(offset).toBe(whole.length - 100)
    expect(await storedObject(bucket, id)).toBe(sha256(whole.subarray(100)))
  })

  it.runIf(!rememberProgress)('lets instances take turns on one upload', async () => {
    const { bucket, open } = await prepare()
    const instances = [open(), open()]
    const bytes = randomBytes(3 * PART + 7)
    const id = randomBytes(16).toString('hex')
    await instances[0]!.create(new Upload({ id, size: bytes.length, offset: 0, metadata: {} }))
    // Cuts that leave tails in <id>.part for the other instance to pick up.
    const cuts = [0, 2 * MIB, PART + 3 * MIB, 2 * PART + 1, bytes.length]
    for (let index = 0; index + 1 < cuts.length; index++) {
      const store = instances[index % 2]!
      const [start, end] = [cuts[index]!, cuts[index + 1]!]
      expect((await store.getUpload(id)).offset).toBe(start)
      expect(await store.write(body(bytes.subarray(start, end)), id, start)).toBe(end)
    }
    expect(await storedObject(bucket, id)).toBe(sha256(bytes))
  })

  it('removes the multipart upload, <id>.info and <id>.part', async () => {
    const { bucket, open } = await prepare()
    const id = randomBytes(16).toString('hex')
    const store = open()
    await store.create(new Upload({ id, size: 20 * MIB, offset: 0, metadata: {} }))
    await store.write(body(randomBytes(PART + MIB)), id, 0)
    expect(await bucket.keys()).toEqual([`${id}.info`, `${id}.part`])
    await store.remove(id)
    expect(await bucket.keys()).toEqual([])
    const uploads = await bucket.client.listMultipartUploads({ Bucket: bucket.name })
    expect(uploads.Uploads ?? []).toEqual([])
    await expect(open().getUpload(id)).rejects.toMatchObject({ status_code: 404 })
  })
})
