import { describe, expect, it } from 'vitest'
import { categoryOf } from './categories.js'

describe('categoryOf', () => {
  it.each([
    ['image/png', 'images'],
    ['image/svg+xml', 'images'],
    ['IMAGE/JPEG; q=1', 'images'],
    ['video/mp4', 'videos'],
    ['video/quicktime', 'videos'],
    ['application/pdf', 'documents'],
    ['application/vnd.openxmlformats-officedocument.wordprocessingml.document', 'documents'],
    ['application/vnd.oasis.opendocument.text', 'documents'],
    ['application/msword', 'documents'],
    ['text/plain; charset=utf-8', 'documents'],
    ['text/csv', 'documents'],
    ['application/zip', 'archives'],
    ['application/x-rar-compressed', 'archives'],
    ['application/vnd.rar', 'archives'],
    ['application/gzip', 'archives'],
    ['application/x-7z-compressed', 'archives'],
    ['audio/mpeg', 'others'],
    ['application/json', 'others'],
    ['application/octet-stream', 'others'],
    ['', 'others'],
  ] as const)('%s is %s', (type, category) => {
    expect(categoryOf(type)).toBe(category)
  })
})
