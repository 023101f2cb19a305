export {
  createEncryptedObjectStore,
  ENCRYPTED_OBJECT_STORE_DEFAULTS,
  type EncryptedObjectStoreOptions,
} from './createEncryptedObjectStore.js'
export { decryptRecords, type DecryptRecordsOptions } from './decryptRecords.js'
export {
  ENCRYPTED_FILE_STORE_DEFAULTS,
  EncryptedFileStore,
  type EncryptedFileStoreOptions,
} from './EncryptedFileStore.js'
export { EncryptionError, type EncryptionErrorCode } from './errors.js'
export { createFileHeader, openFileHeader, type OpenedFile } from './fileHeader.js'
export {
  cipherSizeOf,
  DEFAULT_RECORD_SIZE,
  decryptRecord,
  encryptRecord,
  FORMAT_VERSION,
  HEADER_SIZE,
  plainToCipherOffset,
  RECORD_OVERHEAD,
  recordRange,
  type RecordRange,
} from './format.js'
export { parseEncryptionKey } from './parseEncryptionKey.js'
