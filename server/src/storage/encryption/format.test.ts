import { createDecipheriv, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { TEST_KEY } from './encryptionTestKit.js'
import { EncryptionError } from './errors.js'
import { createFileHeader, openFileHeader } from './fileHeader.js'
import {
  cipherSizeOf,
  decryptRecord,
  encryptRecord,
  HEADER_SIZE,
  MAX_RECORDS,
  plainToCipherOffset,
  RECORD_OVERHEAD,
  recordRange,
} from './format.js'

const key = randomBytes(32)

function expectCode(run: () => unknown, code: string) {
  expect(run).toThrow(EncryptionError)
  const message = expect.stringMatching(/^ferry-server: /)
  expect(run).toThrow(expect.objectContaining({ code, message }))
}

function flipped(bytes: Buffer, at: number, mask = 0x01): Buffer {
  const copy = Buffer.from(bytes)
  copy[at] = (copy[at] ?? 0) ^ mask
  return copy
}

/** A complete file built record by record, the way the stores write one. */
function completeFile(plaintext: Buffer, recordSize: number) {
  const created = createFileHeader({ masterKey: TEST_KEY, fileId: 'f', recordSize })
  const parts = [created.header]
  const full = Math.floor(plaintext.length / recordSize)
  for (let index = 0; index <= full; index += 1) {
    const slice = plaintext.subarray(index * recordSize, (index + 1) * recordSize)
    parts.push(encryptRecord({ key: created.key, index, plaintext: slice, final: index === full }))
  }
  return { file: Buffer.concat(parts), fileKey: created.key }
}

describe('records', () => {
  it('round-trip, laid out as nonce, ciphertext and tag', () => {
    for (const length of [0, 1, 15, 16, 17, 1000]) {
      const plaintext = randomBytes(length)
      const record = encryptRecord({ key, index: 3, plaintext, final: false })
      expect(record.length).toBe(length + RECORD_OVERHEAD)
      expect(decryptRecord({ key, index: 3, record, final: false })).toEqual(plaintext)
    }
  })

  it('never decrypt a changed byte, another index, the other final flag or another key', () => {
    const record = encryptRecord({ key, index: 5, plaintext: randomBytes(64), final: true })
    type Changes = { record?: Buffer; index?: number; final?: boolean; key?: Buffer }
    const open = (changes: Changes) => () =>
      decryptRecord({ key, index: 5, record, final: true, ...changes })
    expect(open({})()).toHaveLength(64)
    for (let at = 0; at < record.length; at += 1) {
      expectCode(open({ record: flipped(record, at) }), 'record-corrupt')
    }
    expectCode(open({ index: 4 }), 'record-corrupt')
    expectCode(open({ final: false }), 'record-corrupt')
    expectCode(open({ key: randomBytes(32) }), 'record-corrupt')
    expectCode(open({ record: record.subarray(0, 27) }), 'truncated')
  })

  it('draw a fresh nonce for every encryption, even of the same record', () => {
    const plaintext = Buffer.alloc(100, 7)
    const nonces = new Set<string>()
    for (let round = 0; round < 1000; round += 1) {
      const record = encryptRecord({ key, index: 0, plaintext, final: false })
      nonces.add(record.subarray(0, 12).toString('hex'))
    }
    expect(nonces.size).toBe(1000)
  })

  it('stop at the random-nonce limit', () => {
    const encrypt = (index: number) => () =>
      encryptRecord({ key, index, plaintext: Buffer.alloc(1), final: false })
    expect(encrypt(MAX_RECORDS - 1)()).toHaveLength(29)
    expectCode(encrypt(MAX_RECORDS), 'too-large')
    expectCode(encrypt(-1), 'too-large')
  })
})

describe('file header', () => {
  const open = (header: Buffer, options: { fileId?: string; masterKey?: Buffer } = {}) => () =>
    openFileHeader({ masterKey: TEST_KEY, fileId: 'abc', header, ...options })

  it('gives back the same file key for the same master key and file id', () => {
    const created = createFileHeader({ masterKey: TEST_KEY, fileId: 'abc', recordSize: 100 })
    expect(created.header.length).toBe(HEADER_SIZE)
    expect(created.header.toString('latin1', 0, 8)).toBe('FERRYENC')
    expect(open(created.header)()).toEqual({ key: created.key, recordSize: 100 })
  })

  it('tells a wrong key, another file id and each damaged byte apart from a good header', () => {
    const { header } = createFileHeader({ masterKey: TEST_KEY, fileId: 'abc' })
    expectCode(open(header, { masterKey: randomBytes(32) }), 'key-mismatch')
    expectCode(open(header, { fileId: 'abd' }), 'key-mismatch')
    for (let at = 0; at < HEADER_SIZE; at += 1) {
      const code = at < 8 ? 'not-encrypted' : at === 8 ? 'unsupported-version' : 'key-mismatch'
      expectCode(open(flipped(header, at, 0x80)), code)
    }
    expectCode(open(header.subarray(0, 20)), 'truncated')
    expectCode(open(Buffer.from('plain text')), 'not-encrypted')
  })

  it('checks the master key and the record size', () => {
    const create = (masterKey: Buffer, recordSize?: number) => () =>
      createFileHeader({ masterKey, fileId: 'a', recordSize })
    expectCode(create(randomBytes(16)), 'invalid-key')
    expectCode(create(TEST_KEY, 0), 'invalid-options')
    expectCode(create(TEST_KEY, 1.5), 'invalid-options')
  })
})

describe('offsets', () => {
  it('find every byte and range of complete files of sizes around records', () => {
    const recordSize = 7
    const stride = recordSize + RECORD_OVERHEAD
    for (let size = 0; size <= 30; size += 1) {
      const plaintext = randomBytes(size)
      const { file, fileKey } = completeFile(plaintext, recordSize)
      expect(file.length).toBe(cipherSizeOf(size, recordSize))
      for (let start = 0; start < size; start += 1) {
        for (let end = start; end < size; end += 1) {
          const range = recordRange(start, end, recordSize)
          const records = file.subarray(range.cipherStart, range.cipherEnd + 1)
          const parts: Buffer[] = []
          for (let index = range.firstIndex; index <= range.lastIndex; index += 1) {
            const at = (index - range.firstIndex) * stride
            const record = records.subarray(at, at + stride)
            const final = record.length < stride
            parts.push(decryptRecord({ key: fileKey, index, record, final }))
          }
          const joined = Buffer.concat(parts).subarray(range.skip, range.skip + end - start + 1)
          expect(joined).toEqual(plaintext.subarray(start, end + 1))
        }
        // Byte `start` is stored at its offset: flipping that file byte flips exactly it (GCM is
        // a stream cipher underneath), and the record no longer verifies.
        const changed = flipped(file, plainToCipherOffset(start, recordSize), 0xff)
        const index = Math.floor(start / recordSize)
        const recordStart = HEADER_SIZE + index * stride
        const record = changed.subarray(recordStart, recordStart + stride)
        const raw = createDecipheriv('aes-256-gcm', fileKey, record.subarray(0, 12))
          .update(record.subarray(12, record.length - 16))
        expect(raw[start % recordSize]).toBe((plaintext[start] ?? 0) ^ 0xff)
        const final = record.length < stride
        expectCode(() => decryptRecord({ key: fileKey, index, record, final }), 'record-corrupt')
      }
    }
  })

  it('refuse ranges that are not ranges', () => {
    expectCode(() => recordRange(5, 4, 10), 'out-of-range')
    expectCode(() => recordRange(-1, 4, 10), 'out-of-range')
    expectCode(() => plainToCipherOffset(0.5, 10), 'out-of-range')
  })
})
