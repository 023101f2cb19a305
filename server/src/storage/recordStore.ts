import type { DocumentStore, FileRecord, RecordStore } from './types.js'

/** Records as documents at `records/<id>.json`. */
export function createRecordStore(documents: DocumentStore): RecordStore {
  const pathOf = (id: string) => `records/${id}.json`
  return {
    get: (id) => documents.get<FileRecord>(pathOf(id)),
    put: (record) => documents.put(pathOf(record.id), record),
    delete: (id) => documents.delete(pathOf(id)),
  }
}
