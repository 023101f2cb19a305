import { describe, expect, it } from 'vitest'
import {
  canonicalType,
  defaultTierPolicies,
  extensionsOf,
  isTier,
  typeOfExtension,
} from './tiers.js'

describe('tiers', () => {
  it('each tier holds the one below it', () => {
    const { basic, premium, enterprise } = defaultTierPolicies
    expect(premium.allowedTypes).toEqual(expect.arrayContaining([...basic.allowedTypes]))
    expect(enterprise.allowedTypes).toEqual(expect.arrayContaining([...premium.allowedTypes]))
    expect([basic.maxSize, premium.maxSize, enterprise.maxSize]).toEqual([
      10 * 1024 ** 2,
      2 * 1024 ** 3,
      10 * 1024 ** 3,
    ])
  })

  it.each([
    ['image/jpeg', 'image/jpeg'],
    ['IMAGE/JPEG', 'image/jpeg'],
    [' application/pdf ; charset=binary', 'application/pdf'],
    ['application/x-rar-compressed', 'application/vnd.rar'],
    ['application/vnd.rar', 'application/vnd.rar'],
    ['', ''],
  ])('canonicalType(%j) is %j', (type, expected) => {
    expect(canonicalType(type)).toBe(expected)
  })

  it('knows the extensions of every type a tier allows', () => {
    for (const type of defaultTierPolicies.enterprise.allowedTypes) {
      expect(extensionsOf(type).length).toBeGreaterThan(0)
      for (const extension of extensionsOf(type)) expect(typeOfExtension(extension)).toBe(type)
    }
    expect(extensionsOf('image/jpeg')).toEqual(['.jpg', '.jpeg'])
    expect(extensionsOf('application/x-rar-compressed')).toEqual(['.rar'])
    expect(extensionsOf('text/plain')).toEqual([])
    expect(typeOfExtension('.MOV')).toBe('video/quicktime')
    expect(typeOfExtension('.exe')).toBeUndefined()
  })

  it('isTier narrows tier names', () => {
    expect(['basic', 'premium', 'enterprise'].every(isTier)).toBe(true)
    expect([undefined, 'gold', 'Basic', 1].some(isTier)).toBe(false)
  })
})
