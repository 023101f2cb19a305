import { describe, expect, it } from 'vitest'
import { FileOffsets } from './FileOffsets.js'

describe('FileOffsets', () => {
  const file = new Blob([new Uint8Array(100).map((_, index) => index)])

  it('knows where slices of slices start in the file, as parallel uploads cut it', async () => {
    const offsets = new FileOffsets(file)
    const whole = await offsets.fileReader.openFile(file, 10)
    expect(whole.size).toBe(100)
    const part = (await whole.slice(40, 80)).value as Blob
    expect(offsets.startOf(part)).toBe(40)
    const source = await offsets.fileReader.openFile(part, 10)
    const { value: chunk, done } = await source.slice(10, 20)
    expect(offsets.startOf(chunk as Blob)).toBe(50)
    expect(done).toBe(false)
    expect([...new Uint8Array(await (chunk as Blob).arrayBuffer())]).toEqual([50, 51, 52, 53, 54, 55, 56, 57, 58, 59])
    expect((await source.slice(30, 45)).done).toBe(true)
  })

  it('knows nothing of a Blob it did not hand out', async () => {
    const offsets = new FileOffsets(file)
    const stranger = file.slice(10, 20)
    expect(offsets.startOf(stranger)).toBeUndefined()
    const source = await offsets.fileReader.openFile(stranger, 10)
    expect(offsets.startOf((await source.slice(0, 5)).value as Blob)).toBeUndefined()
    await expect(offsets.fileReader.openFile('not a blob', 10)).rejects.toThrow(TypeError)
  })
})
