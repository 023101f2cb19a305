/**
 * Merges options over defaults, skipping options that are `undefined`: a caller forwarding an
 * unset setting (`{ limitInputPixels: config.limit }`) gets the default, not `undefined`.
 * @example withDefaults(defaultConvertOptions, { format: 'avif', quality: undefined })
 */
export function withDefaults<T extends object>(defaults: T, options: Partial<T>): T {
  const given = Object.entries(options).filter(([, value]) => value !== undefined)
  return { ...defaults, ...Object.fromEntries(given) }
}
