import type { MiddlewareHandler } from 'hono'
import type { Metrics } from './createMetrics.js'

/**
 * Counts what tus requests did, from the requests and answers alone: creations, PATCH duration,
 * bytes acknowledged (the offset's advance in successful answers), uploads in progress, and
 * refusals by their error code.
 */
export function metricsMiddleware(metrics: Metrics): MiddlewareHandler {
  return async (c, next) => {
    const method = c.req.method
    const isPatch = method === 'PATCH'
    const stopTimer = isPatch ? metrics.patchDuration.startTimer() : undefined
    if (isPatch) metrics.activeUploads.inc()
    try {
      await next()
    } finally {
      if (isPatch) metrics.activeUploads.dec()
      stopTimer?.()
    }
    const { status } = c.res
    if (method === 'POST' && status === 201) metrics.uploadsCreated.inc()
    // A creation with upload answers with the offset its body reached, from 0.
    if ((isPatch || method === 'POST') && status < 300) {
      const before = isPatch ? Number(c.req.header('upload-offset')) : 0
      const after = Number(c.res.headers.get('upload-offset'))
      if (after > before) metrics.bytesReceived.inc(after - before)
    }
    if (status >= 400 && (method === 'POST' || isPatch)) {
      metrics.uploadsFailed.inc({ reason: await reasonOf(c.res, status) })
    }
  }
}

async function reasonOf(response: Response, status: number): Promise<string> {
  try {
    const body = (await response.clone().json()) as { error?: { code?: string } }
    if (typeof body.error?.code === 'string') return body.error.code
  } catch {
    // a stock tus error: plain text
  }
  return `http-${status}`
}
