import { describe, expect, it } from 'vitest'
import { PolicyError } from './errors.js'
import * as samples from './sampleFilesTestKit.js'
import { checkContent, SNIFF_BYTES, sniffContent } from './sniffContent.js'

const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'

type Sample = () => Buffer | Promise<Buffer>

async function refusal(declaredType: string, sample: Sample, filename?: string) {
  const head = await sample()
  return checkContent({ declaredType, head, filename }).then(
    () => expect.fail(`${declaredType} was accepted`),
    (error: unknown) => {
      expect(error).toBeInstanceOf(PolicyError)
      expect(error).toMatchObject({ code: 'content-mismatch', status: 415 })
      return (error as PolicyError).message
    },
  )
}

describe('sniffContent', () => {
  it.each<[string, Sample, string, string]>([
    ['JPEG', samples.jpeg, 'image/jpeg', 'jpg'],
    ['PNG', samples.png, 'image/png', 'png'],
    ['GIF', samples.gif, 'image/gif', 'gif'],
    ['PDF', samples.pdf, 'application/pdf', 'pdf'],
    ['MP4', () => samples.isoMedia('isom'), 'video/mp4', 'mp4'],
    ['QuickTime', () => samples.isoMedia('qt  '), 'video/quicktime', 'mov'],
    ['DOC', samples.cfb, 'application/x-cfb', 'cfb'],
    ['DOCX', samples.docx, DOCX, 'docx'],
    ['ZIP', samples.plainZip, 'application/zip', 'zip'],
    ['RAR v4', samples.rar4, 'application/x-rar-compressed', 'rar'],
    ['RAR v5', samples.rar5, 'application/x-rar-compressed', 'rar'],
    ['PE', samples.windowsExecutable, 'application/x-msdownload', 'exe'],
    ['ELF', samples.elfExecutable, 'application/x-elf', 'elf'],
  ])('recognises %s', async (_name, sample, mime, ext) => {
    expect(await sniffContent(await sample())).toEqual({ mime, ext })
  })

  it('looks at no more than SNIFF_BYTES', async () => {
    const padded = Buffer.concat([Buffer.alloc(SNIFF_BYTES), await samples.png()])
    expect(await sniffContent(padded)).toBeUndefined()
    expect(SNIFF_BYTES).toBe(4100)
  })

  it('recognises nothing in text or nothing', async () => {
    expect(await sniffContent(Buffer.from('just some words'))).toBeUndefined()
    expect(await sniffContent(new Uint8Array())).toBeUndefined()
  })
})

describe('checkContent accepts what was declared', () => {
  it.each<[string, Sample]>([
    ['image/jpeg', samples.jpeg],
    ['image/png', samples.png],
    ['image/gif', samples.gif],
    ['application/pdf', samples.pdf],
    ['video/mp4', () => samples.isoMedia('isom')],
    ['video/quicktime', () => samples.isoMedia('qt  ')],
    ['application/msword', samples.cfb],
    [DOCX, samples.docx],
    ['application/zip', samples.plainZip],
    ['application/vnd.rar', samples.rar4],
    ['application/vnd.rar', samples.rar5],
    ['application/x-rar-compressed', samples.rar5],
    ['IMAGE/PNG; charset=binary', samples.png],
  ])('%s', async (declaredType, sample) => {
    await expect(checkContent({ declaredType, head: await sample() })).resolves.toBeUndefined()
  })

  it('a JPEG judged on its first SNIFF_BYTES only', async () => {
    const head = (await samples.jpeg()).subarray(0, SNIFF_BYTES)
    await expect(checkContent({ declaredType: 'image/jpeg', head })).resolves.toBeUndefined()
  })

  it('a DOCX whose [Content_Types].xml does not fit in the head', async () => {
    const head = samples.docxWithLongContentTypes().subarray(0, SNIFF_BYTES)
    expect(await sniffContent(head)).toMatchObject({ mime: 'application/zip' })
    await expect(checkContent({ declaredType: DOCX, head })).resolves.toBeUndefined()
  })
})

describe('checkContent refuses', () => {
  it('a Windows executable renamed photo.jpg, naming both types', async () => {
    const message = await refusal('image/jpeg', samples.windowsExecutable, 'photo.jpg')
    expect(message).toBe(
      'ferry-server: content of "photo.jpg" is application/x-msdownload, an executable, ' +
        'which is never accepted (declared image/jpeg)',
    )
  })

  it('executables even when a policy allows their type', async () => {
    const message = await refusal('application/x-elf', samples.elfExecutable, 'tool')
    expect(message).toContain('never accepted')
  })

  it.each<[string, Sample, string]>([
    ['image/png', samples.jpeg, 'image/jpeg'],
    ['image/jpeg', samples.pdf, 'application/pdf'],
    ['video/mp4', () => samples.isoMedia('qt  '), 'video/quicktime'],
    ['application/zip', samples.rar5, 'application/x-rar-compressed'],
    ['application/vnd.rar', samples.plainZip, 'application/zip'],
    ['application/zip', samples.docx, DOCX],
    [DOCX, samples.plainZip, 'application/zip'],
    [DOCX, samples.docm, 'application/vnd.ms-word.document.macroenabled.12'],
    ['application/msword', samples.docx, DOCX],
    ['application/pdf', samples.cfb, 'application/x-cfb'],
  ])('declared %s holding %s', async (declaredType, sample, sniffed) => {
    const message = await refusal(declaredType, sample, 'upload.bin')
    expect(message).toBe(
      `ferry-server: content of "upload.bin" is ${sniffed}, not the declared ${declaredType}`,
    )
  })

  it('content of no recognised type, an empty upload included', async () => {
    const text = await refusal('application/pdf', () => Buffer.from('not a pdf'))
    expect(text).toBe(
      'ferry-server: content of the upload is of no recognised type, not the declared ' +
        'application/pdf',
    )
    await refusal('image/png', () => Buffer.alloc(0))
  })

  it('the first bytes of a PNG behind 4100 bytes of padding', async () => {
    await refusal('image/png', async () => Buffer.concat([Buffer.alloc(4100), await samples.png()]))
  })
})
