// XML 1.0 forbids these control characters even as entities; librsvg rejects the whole document.
const forbiddenCharacters = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g

const entities: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
}

/**
 * Makes text safe to place in XML content or a quoted attribute: escapes the five markup
 * characters and drops the control characters XML cannot carry at all.
 * @example
 * escapeXml('</text><script>') // '&lt;/text&gt;&lt;script&gt;'
 */
export function escapeXml(text: string): string {
  return text
    .replace(forbiddenCharacters, '')
    .replace(/[&<>"']/g, (character) => entities[character] ?? character)
}
