import { describe, expect, it } from 'vitest'
import { escapeXml } from './escapeXml.js'

describe('escapeXml', () => {
  it('escapes the five markup characters', () => {
    expect(escapeXml(`<a href="x" title='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&apos;y&apos;&gt;&amp;&lt;/a&gt;',
    )
  })

  it('turns a closing tag and a script into inert text', () => {
    const escaped = escapeXml('</text><script>alert(1)</script>&')
    expect(escaped).toBe('&lt;/text&gt;&lt;script&gt;alert(1)&lt;/script&gt;&amp;')
    expect(escaped).not.toMatch(/[<>]/)
  })

  it('escapes an existing entity again rather than trusting it', () => {
    expect(escapeXml('&amp;')).toBe('&amp;amp;')
  })

  it('drops control characters XML cannot carry and keeps tab, newline and Unicode', () => {
    expect(escapeXml('a\u0000b\u0007c\u001Fd\uFFFF')).toBe('abcd')
    expect(escapeXml('tab\there\nnew\r© 写真 🙂')).toBe('tab\there\nnew\r© 写真 🙂')
  })
})
