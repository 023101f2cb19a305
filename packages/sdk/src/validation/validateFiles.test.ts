import { describe, expect, it } from 'vitest'
import { FerryError } from '../errors.js'
import { validateBatch, validateFile } from './validateFiles.js'

const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46])
const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d])
const exe = new Uint8Array([0x4d, 0x5a, 0x90, 0, 3, 0, 0, 0, 4, 0])
const zip = new Uint8Array([0x50, 0x4b, 3, 4, 20, 0, 0, 0])
const pdf = new TextEncoder().encode('%PDF-1.7\n')
const text = new TextEncoder().encode('just some words\n')

function file(bytes: Uint8Array<ArrayBuffer>, name: string, type = ''): File {
  return new File([bytes], name, { type })
}

/** A File that counts how often its bytes are read, to prove a check needed no read. */
class CountingFile extends File {
  reads = 0
  override slice(...args: Parameters<Blob['slice']>): Blob {
    this.reads++
    return super.slice(...args)
  }
}

async function refusal(promise: Promise<unknown>): Promise<FerryError> {
  const error = await promise.then(() => undefined, (reason: unknown) => reason)
  if (!(error instanceof FerryError)) throw new Error(`expected a FerryError, got ${String(error)}`)
  return error
}

describe('validateFile', () => {
  it('passes any honest file under the default rules', async () => {
    await expect(validateFile(file(jpeg, 'photo.jpg', 'image/jpeg'))).resolves.toBeUndefined()
    await expect(validateFile(file(text, 'notes.txt', 'text/plain'))).resolves.toBeUndefined()
    await expect(validateFile(file(new Uint8Array(), 'empty.bin'))).resolves.toBeUndefined()
  })

  it('rejects a Windows executable renamed photo.jpg, naming the file', async () => {
    const renamed = file(exe, 'photo.jpg', 'image/jpeg')
    const error = await refusal(validateFile(renamed, { allowedTypes: ['image/*'] }))
    expect(error.code).toBe('content-mismatch')
    expect(error.message).toBe(
      'ferry: photo.jpg looks like application/x-msdownload, not an allowed type',
    )
  })

  it('rejects content that contradicts the name even with no allowed types set', async () => {
    const error = await refusal(validateFile(file(exe, 'photo.jpg', 'image/jpeg')))
    expect(error.code).toBe('content-mismatch')
    expect(error.message).toBe(
      'ferry: photo.jpg looks like application/x-msdownload, not what its name says (.jpg)',
    )
  })

  it('refuses a declared type that is not allowed without reading the file', async () => {
    const notes = new CountingFile([text], 'notes.txt', { type: 'text/plain' })
    const error = await refusal(validateFile(notes, { allowedTypes: ['image/*', '.pdf'] }))
    expect(error.code).toBe('type-not-allowed')
    expect(error.message).toBe('ferry: notes.txt is text/plain, not an allowed type')
    expect(notes.reads).toBe(0)
    const photo = new CountingFile([jpeg], 'photo.jpg', { type: 'image/jpeg' })
    await validateFile(photo, { allowedTypes: ['image/*'] })
    expect(photo.reads).toBe(1)
  })

  it('reads a file once for the same rules, and again for other rules', async () => {
    const photo = new CountingFile([jpeg], 'photo.jpg', { type: 'image/jpeg' })
    await validateFile(photo, { allowedTypes: ['image/*'] })
    await validateFile(photo, { allowedTypes: ['image/*'] })
    expect(photo.reads).toBe(1)
    const error = await refusal(validateFile(photo, { allowedTypes: ['image/*'], maxFileSize: 4 }))
    expect(error.code).toBe('file-too-large')
    await validateFile(photo, { allowedTypes: ['.jpg'] })
    expect(photo.reads).toBe(2)
    // A refusal is not remembered: the file is checked again, and refused again.
    const renamed = new CountingFile([exe], 'photo.jpg', { type: 'image/jpeg' })
    for (let attempt = 0; attempt < 2; attempt++) {
      expect((await refusal(validateFile(renamed))).code).toBe('content-mismatch')
    }
    expect(renamed.reads).toBe(2)
  })

  it('accepts a PNG named .jpg as an image, but not where only JPEG is allowed', async () => {
    const misnamed = file(png, 'photo.jpg', 'image/jpeg')
    await expect(validateFile(misnamed, { allowedTypes: ['image/*'] })).resolves.toBeUndefined()
    const error = await refusal(validateFile(misnamed, { allowedTypes: ['image/jpeg'] }))
    expect(error.code).toBe('content-mismatch')
    expect(error.message).toContain('photo.jpg looks like image/png')
  })

  it.each([
    [['.jpg'], 'photo.jpg', ''],
    [['.JPEG'], 'photo.jpeg', 'image/jpeg'],
    [['image/jpeg'], 'photo.JPG', 'image/pjpeg'],
    [['*/*'], 'photo.jpg', 'image/jpeg'],
  ])('matches allowed types %j against %s (%s)', async (allowedTypes, name, type) => {
    await expect(validateFile(file(jpeg, name, type), { allowedTypes })).resolves.toBeUndefined()
  })

  it('treats MIME aliases and parameters as the canonical type', async () => {
    const rules = { allowedTypes: ['application/zip', 'text/plain'] }
    const windowsZip = file(zip, 'a.zip', 'application/x-zip-compressed')
    await expect(validateFile(windowsZip, rules)).resolves.toBeUndefined()
    const utf8Text = file(text, 'a.txt', 'text/plain; charset=utf-8')
    await expect(validateFile(utf8Text, rules)).resolves.toBeUndefined()
  })

  it('lets the name say which ZIP-based format a ZIP is', async () => {
    const docxType = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'
    const report = file(zip, 'report.docx', docxType)
    await expect(validateFile(report, { allowedTypes: ['.docx'] })).resolves.toBeUndefined()
    const disguised = file(exe, 'report.docx', docxType)
    const error = await refusal(validateFile(disguised, { allowedTypes: ['.docx'] }))
    expect(error.code).toBe('content-mismatch')
  })

  it('judges a Blob that declares nothing by its content alone', async () => {
    const rules = { allowedTypes: ['application/pdf'] }
    await expect(validateFile(new Blob([pdf]), rules)).resolves.toBeUndefined()
    const error = await refusal(validateFile(new Blob([text]), rules))
    expect(error.code).toBe('type-not-allowed')
    expect(error.message).toBe('ferry: the file is of unknown type, not an allowed type')
    const zipBlob = await refusal(validateFile(new Blob([zip]), rules))
    expect(zipBlob.code).toBe('type-not-allowed')
    expect(zipBlob.message).toBe('ferry: the file looks like application/zip, not an allowed type')
  })

  it('checks sizes first, with readable amounts', async () => {
    const big = new CountingFile([new Uint8Array(2 * 1024 * 1024)], 'big.bin')
    const tooLarge = await refusal(validateFile(big, { maxFileSize: 1024 * 1024 }))
    expect(tooLarge.code).toBe('file-too-large')
    expect(tooLarge.message).toBe('ferry: big.bin is 2 MiB, over the limit of 1 MiB')
    expect(big.reads).toBe(0)
    const empty = file(new Uint8Array(), 'empty.txt')
    const tooSmall = await refusal(validateFile(empty, { minFileSize: 1 }))
    expect(tooSmall.code).toBe('file-too-small')
    expect(tooSmall.message).toBe('ferry: empty.txt is 0 bytes, under the minimum of 1 bytes')
    const exactlyAtLimit = validateFile(file(jpeg, 'a.jpg'), { maxFileSize: jpeg.length })
    await expect(exactlyAtLimit).resolves.toBeUndefined()
  })

  it('reports a file the browser cannot read, keeping the cause', async () => {
    const cause = new Error('NotReadableError')
    class VanishedFile extends File {
      override slice(): Blob {
        return { arrayBuffer: () => Promise.reject(cause) } as Blob
      }
    }
    const error = await refusal(validateFile(new VanishedFile([jpeg], 'gone.jpg')))
    expect(error.code).toBe('file-unreadable')
    expect(error.cause).toBe(cause)
  })
})

describe('validateBatch', () => {
  it('keeps order, reports every refusal, counts only accepted files to maxFiles', async () => {
    const files = [
      file(jpeg, 'a.jpg', 'image/jpeg'),
      file(text, 'b.txt', 'text/plain'),
      file(png, 'c.png', 'image/png'),
      file(jpeg, 'd.jpg', 'image/jpeg'),
    ]
    const rules = { maxFiles: 2, allowedTypes: ['image/*'] }
    const { accepted, rejected } = await validateBatch(files, rules)
    expect(accepted.map((f) => f.name)).toEqual(['a.jpg', 'c.png'])
    expect(rejected.map(({ file, error }) => [file.name, error.code])).toEqual([
      ['b.txt', 'type-not-allowed'],
      ['d.jpg', 'too-many-files'],
    ])
    expect(rejected[1]?.error.message).toBe('ferry: d.jpg is over the limit of 2 files')
  })

  it('accepts everything under the default rules', async () => {
    const files = [file(jpeg, 'a.jpg'), file(pdf, 'b.pdf')]
    expect(await validateBatch(files)).toEqual({ accepted: files, rejected: [] })
  })
})
