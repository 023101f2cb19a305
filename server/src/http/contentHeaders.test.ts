import { describe, expect, it } from 'vitest'
import { contentHeaders } from './contentHeaders.js'

describe('contentHeaders', () => {
  it('keeps a media type with parameters, and decides inline by its essence', () => {
    expect(contentHeaders('text/plain; charset=utf-8', 'a.txt')['Content-Type']).toBe('text/plain; charset=utf-8')
    expect(contentHeaders('image/png; foo="bar baz"', null)).toMatchObject({ 'Content-Type': 'image/png; foo="bar baz"', 'Content-Disposition': 'inline' })
  })

  it('serves anything malformed as application/octet-stream, as an attachment', () => {
    for (const type of ['text/html\r\nX-Injected: 1', 'not a type', 'text/plain; charset', 'text/plain; a="b\r\n"']) {
      expect(contentHeaders(type, null)).toMatchObject({ 'Content-Type': 'application/octet-stream', 'Content-Disposition': 'attachment' })
    }
  })
})
