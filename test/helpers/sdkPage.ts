import type { Page } from 'playwright-core'
import { expect } from 'vitest'
import { type GeneratedFile, sha256OfResponse } from './files.js'

/** What a browser-side upload reports back to the test. */
export interface UploadOutcome {
  file?: { id: string; url: string; sha256: string; size: number; state: string }
  error?: { name: string; code: string; status?: number; message: string }
  events: { type: string; payload: unknown }[]
  states: string[]
}

/**
 * Starts a `FerryUpload` in the page for the file chosen in `#picker`, recording every event in
 * `window.__ferry`. Options are JSON; `hasher` may be given as WorkerHasher options.
 * `afterStart`, the body of a function of `upload`, runs in the task that called `start()`, so
 * while the upload's set-up has only just begun.
 */
export async function startUpload(
  page: Page,
  options: Record<string, unknown> & { workerHasher?: Record<string, unknown> },
  afterStart?: string,
): Promise<void> {
  await page.evaluate(([options, afterStart]) => {
    type Win = typeof window & { Ferry: typeof import('@ferry/sdk'); __ferry: unknown }
    const win = window as Win
    const { workerHasher, ...uploadOptions } = options
    const file = (document.getElementById('picker') as HTMLInputElement).files?.[0]
    if (!file) throw new Error('no file chosen')
    const upload = new win.Ferry.FerryUpload(file, {
      endpoint: '/files/',
      ...uploadOptions,
      ...(workerHasher ? { hasher: new win.Ferry.WorkerHasher(workerHasher) } : {}),
    } as never)
    const record = { upload, events: [] as unknown[], states: [] as string[], outcome: undefined as unknown }
    for (const type of ['progress', 'hash-progress', 'retry', 'success', 'error', 'processing', 'processed']) {
      upload.on(type as 'progress', (payload: unknown) => {
        const plain = payload instanceof Error ? { message: payload.message, code: (payload as { code?: string }).code } : payload
        record.events.push({ type, payload: JSON.parse(JSON.stringify(plain ?? null)) })
      })
    }
    upload.on('state', (state) => record.states.push(state))
    record.outcome = upload.start().then(
      (file) => ({ file }),
      (error: { name: string; code: string; status?: number; message: string }) => ({
        error: { name: error.name, code: error.code, status: error.status, message: error.message },
      }),
    )
    win.__ferry = record
    // eslint-disable-next-line no-new-func
    if (afterStart) new Function('upload', afterStart)(upload)
  }, [options, afterStart] as const)
}

/** Waits for the upload started by `startUpload` to settle and returns what happened. */
export async function uploadOutcome(page: Page): Promise<UploadOutcome> {
  return page.evaluate(async () => {
    const record = (window as unknown as { __ferry: { outcome: Promise<object>; events: never[]; states: string[] } }).__ferry
    return { ...(await record.outcome), events: record.events, states: record.states } as never
  })
}

/** Resolves once the page's upload has reported at least `bytes` uploaded. */
export async function waitForUploaded(page: Page, bytes: number): Promise<void> {
  await page.waitForFunction((bytes) => {
    const record = (window as unknown as { __ferry?: { events: { type: string; payload: { bytesUploaded?: number } }[] } }).__ferry
    return record?.events.some((event) => event.type === 'progress' && (event.payload.bytesUploaded ?? 0) >= bytes)
  }, bytes, { timeout: 60_000, polling: 50 })
}

export async function uploadState(page: Page): Promise<string> {
  return page.evaluate(() => (window as unknown as { __ferry: { upload: { state: string } } }).__ferry.upload.state)
}

/**
 * The page's upload ended with the file's digest, and the bytes stored at its URL (fetched from
 * `serverUrl`, not through the page's proxy) hash to the source's SHA-256.
 */
export async function expectStored(
  serverUrl: string,
  outcome: { file?: { url: string; sha256: string } },
  source: GeneratedFile,
): Promise<void> {
  expect(outcome.file?.sha256).toBe(source.sha256)
  const download = await fetch(new URL(new URL(outcome.file?.url ?? '').pathname, serverUrl))
  expect(await sha256OfResponse(download)).toBe(source.sha256)
}
