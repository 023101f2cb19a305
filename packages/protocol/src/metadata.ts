/** Upload-Metadata keys, the ones stock tus clients and @tus/server already use. */
export const METADATA_KEYS = {
  name: 'filename',
  type: 'filetype',
} as const
