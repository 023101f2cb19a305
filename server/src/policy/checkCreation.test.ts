import { describe, expect, it } from 'vitest'
import { type CreationRequest, checkCreation } from './checkCreation.js'
import { PolicyError } from './errors.js'
import { defaultTierPolicies, type TierPolicies } from './tiers.js'

const MiB = 1024 ** 2
const GiB = 1024 ** 3
const DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'

function refusal(request: CreationRequest, policies?: TierPolicies): PolicyError {
  try {
    checkCreation(request, policies)
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyError)
    return error as PolicyError
  }
  return expect.fail(`${JSON.stringify(request)} was accepted`)
}

describe('checkCreation: the tier matrix', () => {
  it.each<[CreationRequest['tier'], string, string]>([
    ['basic', 'image/jpeg', 'video/mp4'],
    ['basic', 'application/pdf', DOCX],
    ['premium', 'video/quicktime', 'application/zip'],
    ['premium', DOCX, 'application/vnd.rar'],
    ['enterprise', 'application/zip', 'application/x-msdownload'],
    ['enterprise', 'application/vnd.rar', 'text/html'],
  ])('%s allows %s and refuses %s', (tier, allowed, forbidden) => {
    expect(() => checkCreation({ tier, declaredType: allowed, size: 1 })).not.toThrow()
    expect(refusal({ tier, declaredType: forbidden, size: 1 })).toMatchObject({
      code: 'type-not-allowed',
      status: 415,
    })
  })

  it('allows every listed type in its own tier and each tier above', () => {
    const { basic, premium, enterprise } = defaultTierPolicies
    for (const declaredType of basic.allowedTypes) {
      for (const tier of ['basic', 'premium', 'enterprise'] as const) {
        expect(() => checkCreation({ tier, declaredType })).not.toThrow()
      }
    }
    for (const declaredType of premium.allowedTypes) {
      expect(() => checkCreation({ tier: 'enterprise', declaredType })).not.toThrow()
    }
    expect(enterprise.allowedTypes).toHaveLength(10)
  })

  it('names the type, the tier and what is allowed', () => {
    const error = refusal({ tier: 'basic', declaredType: 'video/mp4', filename: 'clip.mp4' })
    expect(error.message).toBe(
      'ferry-server: "clip.mp4" is declared video/mp4, which is not allowed; the basic tier ' +
        'allows image/jpeg, image/png, image/gif, application/pdf',
    )
  })

  it.each([undefined, '', '  '])('refuses a missing declared type (%j)', (declaredType) => {
    const error = refusal({ tier: 'premium', declaredType, size: 10 })
    expect(error).toMatchObject({ code: 'type-not-allowed', status: 415 })
    expect(error.message).toContain('the upload declares no type; the premium tier allows')
  })

  it('accepts the RAR alias and types written with case and parameters', () => {
    const tier = 'enterprise'
    const rar = { tier, declaredType: 'application/x-rar-compressed' } as const
    const png = { tier, declaredType: 'Image/PNG; q=1', filename: 'a.PNG' } as const
    expect(() => checkCreation(rar)).not.toThrow()
    expect(() => checkCreation(png)).not.toThrow()
  })
})

describe('checkCreation: size', () => {
  it.each([
    ['basic', 10 * MiB, '10 MiB'],
    ['premium', 2 * GiB, '2 GiB'],
    ['enterprise', 10 * GiB, '10 GiB'],
  ] as const)('%s takes up to %d bytes', (tier, max, readable) => {
    const declaredType = 'application/pdf'
    expect(() => checkCreation({ tier, declaredType, size: max })).not.toThrow()
    const error = refusal({ tier, declaredType, size: max + 1, filename: 'big.pdf' })
    expect(error).toMatchObject({ code: 'too-large', status: 413 })
    expect(error.message).toBe(
      `ferry-server: "big.pdf" is ${max + 1} bytes, over the ${tier} tier's maximum of ${max} ` +
        `bytes (${readable})`,
    )
  })

  it('lets a deferred length through (it is checked once known)', () => {
    expect(() => checkCreation({ tier: 'basic', declaredType: 'image/png' })).not.toThrow()
  })

  it('checks the type before the size', () => {
    const error = refusal({ tier: 'basic', declaredType: 'video/mp4', size: 100 * GiB })
    expect(error.code).toBe('type-not-allowed')
  })
})

describe('checkCreation: filename', () => {
  it('refuses a lying extension, naming what the extension stands for', () => {
    const error = refusal({ tier: 'basic', declaredType: 'application/pdf', filename: 'photo.jpg' })
    expect(error).toMatchObject({ code: 'content-mismatch', status: 415 })
    expect(error.message).toBe(
      'ferry-server: "photo.jpg" is declared application/pdf but ends in .jpg, which is the ' +
        'extension of image/jpeg; application/pdf files end in .pdf',
    )
  })

  it.each(['photo.exe', 'photo.jpg.exe', 'photo.jpg\u0000.exe', 'photo.exe. ', 'photo.png'])(
    'refuses %j declared image/jpeg',
    (filename) => {
      expect(refusal({ tier: 'basic', declaredType: 'image/jpeg', filename }).code).toBe(
        'content-mismatch',
      )
    },
  )

  it.each(['photo.jpg', 'photo.JPEG', 'README', '../../x.jpg', '.jpg'])(
    'accepts %j declared image/jpeg',
    (filename) => {
      const request = { tier: 'basic', declaredType: 'image/jpeg', filename } as const
      expect(() => checkCreation(request)).not.toThrow()
    },
  )

  it('accepts .rar for the RAR alias and says nothing of types it has no extensions for', () => {
    const tier = 'enterprise'
    const rar = { tier, declaredType: 'application/x-rar-compressed', filename: 'a.rar' } as const
    expect(() => checkCreation(rar)).not.toThrow()
    const policies = {
      ...defaultTierPolicies,
      enterprise: { allowedTypes: ['text/csv'], maxSize: 1 },
    }
    const csv = { tier, declaredType: 'text/csv', filename: 'data.txt' } as const
    expect(() => checkCreation(csv, policies)).not.toThrow()
  })

  it('refuses a filename that is not a string (metadata from JavaScript)', () => {
    const filename = 42 as unknown as string
    expect(refusal({ tier: 'basic', declaredType: 'image/png', filename })).toMatchObject({
      code: 'invalid-filename',
      status: 400,
    })
  })
})

describe('checkCreation: policies', () => {
  it('follows the policies passed in', () => {
    const policies: TierPolicies = {
      ...defaultTierPolicies,
      basic: { allowedTypes: ['image/png'], maxSize: 100 },
    }
    expect(refusal({ tier: 'basic', declaredType: 'image/jpeg' }, policies).code).toBe(
      'type-not-allowed',
    )
    expect(refusal({ tier: 'basic', declaredType: 'image/png', size: 101 }, policies).code).toBe(
      'too-large',
    )
  })

  it('throws a RangeError for a tier without a policy: that is a server mistake', () => {
    const tier = 'gold' as CreationRequest['tier']
    expect(() => checkCreation({ tier, declaredType: 'image/png' })).toThrow(
      'ferry-server: no upload policy for tier "gold"',
    )
  })
})
