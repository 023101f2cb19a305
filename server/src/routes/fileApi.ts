import { ERROR_CODES, type ProcessingEvent, type ProcessingManifest } from '@ferry/protocol'
import { Hono } from 'hono'
import { streamSSE } from 'hono/streaming'
import { FerryHttpError } from '../errors.js'
import { contentHeaders } from '../http/contentHeaders.js'
import { toWebStream } from '../http/toWebStream.js'
import type { Processing } from '../processing/createProcessing.js'
import type { JobEvent } from '../processing/queue/types.js'
import { principalOf } from '../auth/principalOf.js'
import type { DownloadUrlSigner } from '../downloads/createDownloadUrlSigner.js'
import { outputPath } from '../downloads/downloadPaths.js'
import { signedFileUrl, signedOutputUrl } from '../downloads/signedUrls.js'
import { createOwnerIndex } from '../storage/ownerIndex.js'
import type { FileRecord, StorageBackend } from '../storage/types.js'
import { TUS_PATH } from '../tus/createTusServer.js'
import { describeFile, signedDownloadFields } from '../tus/describeFile.js'

export interface FileApiOptions {
  backend: StorageBackend
  processing?: Processing
  /** Removes a file's record, outputs and index entry once its bytes are gone. */
  removeFileData: (id: string) => Promise<void>
  /** Signs the download URLs of descriptions and outputs; none (no such URLs) when left out. */
  downloadUrls?: DownloadUrlSigner
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
 * Server-Sent Events, the files derived from it, and fresh signed download URLs.
 */
export function createFileApi({ backend, processing, removeFileData, downloadUrls }: FileApiOptions): Hono {
  const api = new Hono()
  const owners = createOwnerIndex(backend.documents)
  const origin = (url: string) => new URL(url).origin
  const readManifest = async (record: FileRecord, requestUrl: string): Promise<ProcessingManifest> => {
    const manifest = await processing?.read(record.id, (name) => `${origin(requestUrl)}${outputPath(record.id, name)}`)
    if (!manifest) return emptyManifest(record.id)
    return {
      ...manifest,
      outputs: manifest.outputs.map((output) => {
        const download = signedOutputUrl(downloadUrls, record, output.name, origin(requestUrl))
        return download ? { ...output, ...signedDownloadFields(download) } : output
      }),
    }
  }
  const describe = (record: FileRecord, requestUrl: string, manifest: ProcessingManifest) =>
    describeFile(record, {
      uploadUrl: `${origin(requestUrl)}${TUS_PATH}/${record.id}`,
      processing: manifest.state,
      download: signedFileUrl(downloadUrls, record, origin(requestUrl)),
    })

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
      const manifest = await readManifest(record, c.req.url)
      files.push({ ...describe(record, c.req.url, manifest), finishedAt: record.finishedAt })
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
    const manifest = await readManifest(record, c.req.url)
    return c.json({ ...describe(record, c.req.url, manifest), finishedAt: record.finishedAt, manifest })
  })

  // A fresh signed URL of the caller's file, e.g. when the one in its description has expired.
  api.post('/:id/download-url', async (c) => {
    const id = c.req.param('id')
    const record = await acceptedRecord(id)
    if (!downloadUrls) {
      throw new FerryHttpError(501, ERROR_CODES.downloadUrlsOff, 'this server signs no download URLs (set FERRY_DOWNLOAD_URL_SECRET)')
    }
    const ttlSeconds = parseTtl(c.req.query('ttlSeconds'), downloadUrls.ttlSeconds)
    const download = signedFileUrl(downloadUrls, record, origin(c.req.url), ttlSeconds)
    if (!download) throw new FerryHttpError(404, ERROR_CODES.notFound, `no accepted file with id "${id}"`)
    return c.json(signedDownloadFields(download), 200, { 'Cache-Control': 'no-store' })
  })

  api.get('/:id/events', async (c) => {
    const id = c.req.param('id')
    const record = await acceptedRecord(id)
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
        let manifest = await readManifest(record, c.req.url)
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
              manifest = await readManifest(record, c.req.url)
              continue
            }
          }
          const event = pending.shift() as JobEvent
          manifest = await readManifest(record, c.req.url)
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
    const manifest = await processing?.read(id, (name) => name)
    const output = manifest?.outputs.find((candidate) => candidate.name === c.req.param('name'))
    if (!output) {
      throw new FerryHttpError(404, ERROR_CODES.notFound, `file ${id} has no output "${c.req.param('name')}"`)
    }
    // HEAD answers the headers without opening the object.
    const body = c.req.method === 'HEAD' ? null : toWebStream(await backend.objects.read(output.key))
    return new Response(body, {
      headers: {
        ...contentHeaders(output.type, null),
        ...(output.encoding ? { 'Content-Encoding': output.encoding } : {}),
        'Content-Length': String(output.size),
        // An output never changes, but it is its owner's: a shared cache must not serve it to others.
        'Cache-Control': 'private, max-age=31536000, immutable',
      },
    })
  })
  return api
}

/** `ttlSeconds` of a mint request: a whole number of seconds up to the configured lifetime. */
function parseTtl(value: string | undefined, maximum: number): number {
  if (value === undefined) return maximum
  const seconds = /^\d+$/.test(value) ? Number(value) : Number.NaN
  if (!Number.isSafeInteger(seconds) || seconds < 1 || seconds > maximum) {
    throw new FerryHttpError(400, ERROR_CODES.invalidQuery, `ttlSeconds must be a whole number from 1 to ${maximum}, got "${value}"`)
  }
  return seconds
}

function isSettled(manifest: ProcessingManifest): boolean {
  return manifest.state === 'done' || manifest.state === 'failed' || manifest.state === 'none'
}

function emptyManifest(fileId: string): ProcessingManifest {
  return { fileId, state: 'none', createdAt: new Date(0).toISOString(), jobs: [], outputs: [] }
}
