import { describe, expect, it } from 'vitest'
import { withDefaults } from './withDefaults.js'

describe('withDefaults', () => {
  const defaults = { level: 9, name: 'x', flag: true }

  it('lets given options win and keeps the rest', () => {
    const merged = withDefaults(defaults, { level: 1, flag: false })
    expect(merged).toEqual({ level: 1, name: 'x', flag: false })
  })

  it('treats an undefined option as not given', () => {
    expect(withDefaults(defaults, { level: undefined })).toEqual(defaults)
  })

  it('copies rather than changing the defaults', () => {
    withDefaults(defaults, { name: 'y' })
    expect(defaults.name).toBe('x')
  })
})
