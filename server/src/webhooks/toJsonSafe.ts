/**
 * A copy of `value` that `JSON.stringify` accepts and that says what it means: functions,
 * symbols, bytes, streams, requests and other class instances are dropped (nothing a receiver
 * could use), bigints become strings, objects with `toJSON` (dates, URLs) what it returns, maps
 * objects, sets arrays, errors their name and message, and a circular reference is cut.
 * @example
 * toJsonSafe({ size: 10n, at: new Date(0), read: () => {} })
 * // { size: '10', at: '1970-01-01T00:00:00.000Z' }
 */
export function toJsonSafe(value: unknown): unknown {
  return copy(value, new Set())
}

function copy(value: unknown, ancestors: Set<object>): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value
  if (typeof value === 'number') return Number.isFinite(value) ? value : null
  if (typeof value === 'bigint') return value.toString()
  if (typeof value !== 'object') return undefined
  // Only the chain above counts as circular: the same object twice side by side is copied twice.
  if (ancestors.has(value)) return undefined
  ancestors.add(value)
  try {
    return copyObject(value, ancestors)
  } catch {
    // A throwing `toJSON` loses its own value, not the whole payload.
    return undefined
  } finally {
    ancestors.delete(value)
  }
}

function copyObject(value: object, ancestors: Set<object>): unknown {
  if (Array.isArray(value)) return value.map((item) => copy(item, ancestors) ?? null)
  // Bytes are dropped before `toJSON`, which would spell a Buffer out as an array of numbers.
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return undefined
  // Dates, URLs and the like say themselves how they are sent as JSON.
  if (hasToJson(value)) return copy(value.toJSON(), ancestors)
  if (value instanceof Error) return { name: value.name, message: value.message }
  if (value instanceof Map) return copyEntries([...value.entries()], ancestors)
  if (value instanceof Set) return copy([...value], ancestors)
  const prototype: unknown = Object.getPrototypeOf(value)
  if (prototype !== Object.prototype && prototype !== null) return undefined
  return copyEntries(readOwnEntries(value as Record<string, unknown>), ancestors)
}

function readOwnEntries(value: Record<string, unknown>): [string, unknown][] {
  const entries: [string, unknown][] = []
  for (const key of Object.keys(value)) {
    try {
      entries.push([key, value[key]])
    } catch {
      // A throwing getter loses its own value, not its siblings'.
    }
  }
  return entries
}

function copyEntries(
  entries: [unknown, unknown][],
  ancestors: Set<object>,
): Record<string, unknown> {
  const result: Record<string, unknown> = {}
  for (const [key, item] of entries) {
    if (typeof key !== 'string' && typeof key !== 'number') continue
    const safe = copy(item, ancestors)
    if (safe !== undefined) result[String(key)] = safe
  }
  return result
}

function hasToJson(value: object): value is { toJSON(): unknown } {
  return typeof (value as { toJSON?: unknown }).toJSON === 'function'
}
