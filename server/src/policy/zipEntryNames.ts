/** `PK\x03\x04`: the signature that opens each entry's local header in a ZIP. */
const LOCAL_HEADER = [0x50, 0x4b, 0x03, 0x04]
/** Fixed part of a local header; the entry's name follows it. */
const LOCAL_HEADER_SIZE = 30

const decoder = new TextDecoder('utf-8')

/**
 * Names of the ZIP entries whose local headers lie in `head`, the first bytes of an archive.
 * It scans for every signature rather than hopping from entry to entry, because an entry
 * written with a data descriptor (general-purpose flag bit 3) has no size in its local header.
 * @example
 * zipEntryNames(head) // ['[Content_Types].xml', '_rels/.rels', 'word/document.xml']
 */
export function zipEntryNames(head: Uint8Array): string[] {
  const names: string[] = []
  for (let at = 0; at + LOCAL_HEADER_SIZE <= head.length; at += 1) {
    if (!LOCAL_HEADER.every((byte, index) => head[at + index] === byte)) continue
    const nameLength = (head[at + 26] ?? 0) | ((head[at + 27] ?? 0) << 8)
    const nameEnd = at + LOCAL_HEADER_SIZE + nameLength
    if (nameLength === 0 || nameEnd > head.length) continue
    names.push(decoder.decode(head.subarray(at + LOCAL_HEADER_SIZE, nameEnd)))
  }
  return names
}
