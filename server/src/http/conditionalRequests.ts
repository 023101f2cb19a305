/**
 * `If-None-Match` as RFC 9110 §13.1.2 has it: `*`, or a list of entity tags compared weakly
 * (`W/"x"` matches `"x"`), so a cache that stored a weak validator still gets its 304.
 */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false
  if (header.trim() === '*') return true
  return entityTags(header).some((tag) => opaque(tag) === opaque(etag))
}

/**
 * Whether a `Range` applies under `If-Range` (RFC 9110 §13.1.5): without it, or when it names
 * this entity tag exactly (a strong comparison; a date never matches, as no Last-Modified is
 * sent). Otherwise the whole representation is sent, never a range of another one.
 */
export function rangeApplies(ifRange: string | undefined, etag: string): boolean {
  if (ifRange === undefined) return true
  const tag = ifRange.trim()
  return !tag.startsWith('W/') && tag === etag
}

function entityTags(header: string): string[] {
  return header.match(/(?:W\/)?"[^"]*"/g) ?? []
}

function opaque(tag: string): string {
  return tag.startsWith('W/') ? tag.slice(2) : tag
}
