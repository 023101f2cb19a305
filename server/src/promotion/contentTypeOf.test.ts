import { describe, expect, it } from 'vitest'
import { promotedTypeOf } from './contentTypeOf.js'

describe('promotedTypeOf', () => {
  it('takes the sniffed type over the declared one', () => {
    expect(
      promotedTypeOf({ sniffed: { mime: 'image/png', ext: 'png' }, declared: 'application/pdf' }),
    ).toEqual({
      contentType: 'image/png',
      extension: '.png',
    })
    expect(
      promotedTypeOf({ sniffed: { mime: 'application/x-compress', ext: 'Z' }, declared: '' })
        .extension,
    ).toBe('.z')
  })

  it('believes a declared text type, keeping only its charset', () => {
    expect(
      promotedTypeOf({ sniffed: undefined, declared: 'text/csv; charset=UTF-8; header=present' }),
    ).toEqual({
      contentType: 'text/csv; charset=utf-8',
      extension: '.csv',
    })
    expect(promotedTypeOf({ sniffed: undefined, declared: 'application/json' })).toEqual({
      contentType: 'application/json',
      extension: '.json',
    })
    expect(promotedTypeOf({ sniffed: undefined, declared: 'application/ld+json' })).toEqual({
      contentType: 'application/ld+json',
      extension: '',
    })
  })

  it('keeps another declared type without an extension, and refuses a malformed one', () => {
    expect(promotedTypeOf({ sniffed: undefined, declared: 'Application/PDF; x=1' })).toEqual({
      contentType: 'application/pdf',
      extension: '',
    })
    const octets = { contentType: 'application/octet-stream', extension: '' }
    expect(promotedTypeOf({ sniffed: undefined, declared: '' })).toEqual(octets)
    expect(promotedTypeOf({ sniffed: undefined, declared: 'text/html\r\nX-Evil: 1' })).toEqual(
      octets,
    )
  })
})
