import { describe, expect, it } from 'vitest'
import { sanitizeFilename } from './sanitizeFilename.js'

const bytes = (text: string) => Buffer.byteLength(text, 'utf8')

describe('sanitizeFilename', () => {
  it.each([
    ['report.pdf', 'report.pdf'],
    ['../../etc/passwd', 'passwd'],
    ['..\\..\\boot.ini', 'boot.ini'],
    ['C:\\Windows\\x.exe', 'x.exe'],
    ['/var/www/../uploads/./a.png', 'a.png'],
    ['photos/', 'photos'],
    ['a/b/..', 'b'],
    ['\\\\server\\share\\doc.docx', 'doc.docx'],
    ['..', 'file'],
    ['../', 'file'],
    ['', 'file'],
    ['   ', 'file'],
    ['...', 'file'],
  ])('strips path components: %j → %j', (name, expected) => {
    expect(sanitizeFilename(name)).toBe(expected)
  })

  it.each([
    ['a\u0000b', 'ab'],
    ['photo.jpg\u0000.exe', 'photo.jpg.exe'],
    ['line\nbreak\r\ttab.txt', 'linebreaktab.txt'],
    ['del\u007f.txt', 'del.txt'],
    ['c1\u0085\u009b.txt', 'c1.txt'],
    ['\u202Egnp.exe', 'gnp.exe'],
    ['invoice\u202Efdp.exe', 'invoicefdp.exe'],
    ['\u202A\u202B\u202C\u202D\u2066\u2067\u2068\u2069x.png', 'x.png'],
    ['mark\u200E\u200F\u061C.png', 'mark.png'],
    ['lone\uD800.png', 'lone.png'],
    ['\u0000\u0001', 'file'],
  ])('strips control and bidi characters: %j → %j', (name, expected) => {
    expect(sanitizeFilename(name)).toBe(expected)
  })

  it('normalises to NFC, so decomposed and composed é are the same name', () => {
    const decomposed = 'cafe\u0301.png'
    const composed = 'caf\u00e9.png'
    expect(sanitizeFilename(decomposed)).toBe(composed)
    expect(sanitizeFilename(composed)).toBe(composed)
    // A control between a letter and its accent no longer keeps them apart.
    expect(sanitizeFilename('cafe\u0000\u0301.png')).toBe(composed)
  })

  it.each([
    ['a<b>c:d"e|f?g*h.txt', 'a_b_c_d_e_f_g_h.txt'],
    ['C:evil.txt', 'C_evil.txt'],
    ['what?.png', 'what_.png'],
  ])('replaces characters Windows reserves: %j → %j', (name, expected) => {
    expect(sanitizeFilename(name)).toBe(expected)
  })

  it.each([
    ['.htaccess', 'htaccess'],
    ['..hidden..', 'hidden'],
    ['  spaced.txt  ', 'spaced.txt'],
    ['trailing.exe.', 'trailing.exe'],
    ['trailing.exe. . ', 'trailing.exe'],
    ['\u00a0nbsp.txt\u00a0', 'nbsp.txt'],
    ['inner  spaces  kept.txt', 'inner  spaces  kept.txt'],
  ])('trims dots and spaces at the ends: %j → %j', (name, expected) => {
    expect(sanitizeFilename(name)).toBe(expected)
  })

  it.each([
    ['CON', '_CON'],
    ['con.txt', '_con.txt'],
    ['Nul.tar.gz', '_Nul.tar.gz'],
    ['COM1.png', '_COM1.png'],
    ['lpt9', '_lpt9'],
    ['COM¹.txt', '_COM¹.txt'],
    ['CONOUT$', '_CONOUT$'],
    ['AUX .txt', '_AUX .txt'],
    ['dir/PRN.pdf', '_PRN.pdf'],
    ['CONSOLE.txt', 'CONSOLE.txt'],
    ['COM10.txt', 'COM10.txt'],
    ['my-con.txt', 'my-con.txt'],
  ])('avoids Windows device names: %j → %j', (name, expected) => {
    expect(sanitizeFilename(name)).toBe(expected)
  })

  it('truncates 300 × 字 to 255 bytes of UTF-8, keeping .png and whole characters', () => {
    const name = sanitizeFilename(`${'字'.repeat(300)}.png`)
    expect(name).toBe(`${'字'.repeat(83)}.png`)
    expect(bytes(name)).toBe(253)
  })

  it('never cuts an emoji sequence or a surrogate pair in half', () => {
    const family = '👩‍👩‍👧‍👦' // 25 bytes: four emoji joined by U+200D
    const name = sanitizeFilename(`${family.repeat(20)}.jpg`, { maxLength: 100 })
    expect(name).toBe(`${family.repeat(3)}.jpg`)
    const pairs = sanitizeFilename('😀'.repeat(40), { maxLength: 30 })
    expect(pairs).toBe('😀'.repeat(7))
  })

  it('cuts a single over-long character between code points rather than dropping all', () => {
    const zalgo = `x${'\u0300'.repeat(40)}` // one grapheme of 81 bytes (x has no composed form)
    expect(bytes(sanitizeFilename(zalgo, { maxLength: 20 }))).toBe(19)
  })

  it('keeps a short extension only: a long tail after a dot is part of the name', () => {
    expect(sanitizeFilename(`${'a'.repeat(300)}.jpeg`)).toBe(`${'a'.repeat(250)}.jpeg`)
    const tail = `x.${'b'.repeat(300)}`
    expect(sanitizeFilename(tail)).toBe(tail.slice(0, 255))
  })

  it('trims what truncation leaves at the end', () => {
    expect(sanitizeFilename(`${'a'.repeat(15)}  ${'b'.repeat(20)}`, { maxLength: 16 })).toBe(
      'a'.repeat(15),
    )
  })

  it('keeps names within maxLength after prefixing a device name', () => {
    expect(sanitizeFilename('CONSOLE-LOG-2024.txt', { maxLength: 16 })).toBe('CONSOLE-LOG-.txt')
    expect(sanitizeFilename(`CON.${'x'.repeat(12)}`, { maxLength: 16 })).toBe(
      `_CO.${'x'.repeat(12)}`,
    )
  })

  it('is idempotent', () => {
    const names = ['../../etc/passwd', '\u202Egnp.exe', 'con.txt', `${'字'.repeat(300)}.png`]
    for (const name of names) {
      const once = sanitizeFilename(name)
      expect(sanitizeFilename(once)).toBe(once)
    }
  })

  it('refuses a maxLength with no room for a name and an extension', () => {
    expect(() => sanitizeFilename('a.txt', { maxLength: 8 })).toThrow(
      'ferry-server: sanitizeFilename maxLength must be an integer of at least 16, got 8',
    )
    expect(() => sanitizeFilename('a.txt', { maxLength: 20.5 })).toThrow(RangeError)
  })
})
