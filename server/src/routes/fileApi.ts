import { ERROR_CODES, type ProcessingEvent, type ProcessingManifest } from '@ferry/protocol'
import { Hono } from 'hono'
import { streamSSE } from 'hono/streaming'
import { FerryHttpError } from '../errors.js'
import { contentHeaders } from '../http/contentHeaders.js'
import { toWebStream } from '../http/toWebStream.js'
import type { Processing } from '../processing/createProcessing.js'
import type { JobEvent } from '../processing/queue/types.js'
import { principalOf } from '../auth/principalOf.js'
import { createOwnerIndex } from '../storage/ownerIndex.js'
import type { StorageBackend } from '../storage/types.js'
import { TUS_PATH } from '../tus/createTusServer.js'
import { describeFile } from '../tus/describeFile.js'

export interface FileApiOptions {
  backend: StorageBackend
  processing?: Processing
  /** Removes a file's record, outputs and index entry once its bytes are gone. */
  removeFileData: (id: string) => Promise<void>
}

const MAX_PAGE = 100

const HEARTBEAT_MS = 15_000
const EVENT_NAMES: Record<JobEvent['type'], ProcessingEvent['type']> = {
  started: 'job-started',
  retrying: 'job-retrying',
  completed: 'job-completed',
  failed: 'job-failed',
}

/**
 * `/api/files/:id`: a file's description with its processing manifest, its processing as
 * Server-Sent Events, and the files derived from it.
 */
export function createFileApi({ backend, processing, removeFileData }: FileApiOptions): Hono {
  const api = new Hono()
  const owners = createOwnerIndex(backend.documents)
  const origin = (url: string) => new URL(url).origin
  const outputUrlOf = (requestUrl: string, id: string) => (name: string) =>
    `${origin(requestUrl)}/api/files/${id}/outputs/${encodeURIComponent(name)}`
  const readManifest = async (id: string, requestUrl: string): Promise<ProcessingManifest> =>
    (await processing?.read(id, outputUrlOf(requestUrl, id))) ?? emptyManifest(id)

  const acceptedRecord = async (id: string) => {
    const record = await backend.records.get(id)
    if (!record || record.state === 'quarantined' || record.state === 'rejected') {
      throw new FerryHttpError(404, ERROR_CODES.notFound, `no accepted file with id "${id}"`)
    }
    return record
  }

  api.get('/', async (c) => {
    const limit = Number(c.req.query('limit') ?? 50)
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) {
      throw new FerryHttpError(400, ERROR_CODES.invalidQuery, `limit must be a whole number from 1 to ${MAX_PAGE}`)
    }
    const cursor = c.req.query('cursor')
    const page = await owners.list(principalOf(c).userId, { limit, ...(cursor ? { cursor } : {}) })
    const files = []
    for (const id of page.ids) {
      const record = await backend.records.get(id)
      if (!record) continue
      const manifest = await readManifest(id, c.req.url)
      files.push({
        ...describeFile(record, { uploadUrl: `${origin(c.req.url)}${TUS_PATH}/${id}`, processing: manifest.state }),
        finishedAt: record.finishedAt,
      })
    }
    return c.json({ files, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) })
  })

  api.delete('/:id', async (c) => {
    const id = c.req.param('id')
    await acceptedRecord(id)
    await backend.datastore.remove(id).catch(() => undefined)
    await removeFileData(id)
    return c.body(null, 204)
  })

  api.get('/:id', async (c) => {
    const id = c.req.param('id')
    const record = await acceptedRecord(id)
    const manifest = await readManifest(id, c.req.url)
    const file = describeFile(record, {
      uploadUrl: `${origin(c.req.url)}${TUS_PATH}/${id}`,
      processing: manifest.state,
    })
    return c.json({ ...file, finishedAt: record.finishedAt, manifest })
  })

  api.get('/:id/events', async (c) => {
    const id = c.req.param('id')
    await acceptedRecord(id)
    return streamSSE(c, async (stream) => {
      const pending: JobEvent[] = []
      let wake: (() => void) | undefined
      // Subscribe before the snapshot, so no event between the two is lost.
      const unsubscribe = processing?.subscribe(id, (event) => {
        pending.push(event)
        wake?.()
      })
      const send = (event: ProcessingEvent) =>
        stream.writeSSE({ event: event.type, data: JSON.stringify(event) })
      stream.onAbort(() => wake?.())
      try {
        let manifest = await readManifest(id, c.req.url)
        await send({ type: 'snapshot', fileId: id, manifest })
        while (!isSettled(manifest) && !stream.aborted) {
          if (pending.length === 0) {
            await new Promise<void>((resolve) => {
              wake = resolve
              setTimeout(resolve, HEARTBEAT_MS)
            })
            wake = undefined
            if (pending.length === 0) {
              await stream.write(': heartbeat\n\n')
              manifest = await readManifest(id, c.req.url)
              continue
            }
          }
          const event = pending.shift() as JobEvent
          manifest = await readManifest(id, c.req.url)
          await send({
            type: EVENT_NAMES[event.type],
            fileId: id,
            job: event.job.type,
            ...('error' in event ? { error: event.error } : {}),
            manifest,
          })
        }
        if (isSettled(manifest)) await send({ type: 'processing-done', fileId: id, manifest })
      } finally {
        unsubscribe?.()
      }
    })
  })

  api.get('/:id/outputs/:name', async (c) => {
    const id = c.req.param('id')
    await acceptedRecord(id)
    const manifest = await readManifest(id, c.req.url)
    const output = manifest.outputs.find((candidate) => candidate.name === c.req.param('name'))
    if (!output) {
      throw new FerryHttpError(404, ERROR_CODES.notFound, `file ${id} has no output "${c.req.param('name')}"`)
    }
    const stream = await backend.objects.read(output.key)
    return new Response(toWebStream(stream), {
      headers: {
        ...contentHeaders(output.type, null),
        ...(output.encoding ? { 'Content-Encoding': output.encoding } : {}),
        'Content-Length': String(output.size),
        'Cache-Control': 'public, max-age=31536000, immutable',
      },
    })
  })
  return api
}

function isSettled(manifest: ProcessingManifest): boolean {
  return manifest.state === 'done' || manifest.state === 'failed' || manifest.state === 'none'
}

function emptyManifest(fileId: string): ProcessingManifest {
  return { fileId, state: 'none', createdAt: new Date(0).toISOString(), jobs: [], outputs: [] }
}
