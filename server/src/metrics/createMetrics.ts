import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

/**
 * The server's Prometheus metrics, on a registry of their own (so two apps in one process, as in
 * tests, do not collide), with Node's default process metrics.
 */
export function createMetrics() {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'ferry_' })
  const metric = { registers: [registry] }
  return {
    registry,
    uploadsCreated: new Counter({ name: 'ferry_uploads_created_total', help: 'Uploads created', ...metric }),
    uploadsCompleted: new Counter({
      name: 'ferry_uploads_completed_total',
      help: 'Uploads completed, by verdict (verified, unverified)',
      labelNames: ['state'],
      ...metric,
    }),
    uploadsFailed: new Counter({
      name: 'ferry_uploads_failed_total',
      help: 'Upload requests refused, by reason (the error code)',
      labelNames: ['reason'],
      ...metric,
    }),
    digests: new Counter({
      name: 'ferry_upload_digests_total',
      help: 'SHA-256 digests of finished uploads, by source (stream: hashed as the bytes arrived; reread: read again)',
      labelNames: ['source'],
      ...metric,
    }),
    bytesReceived: new Counter({ name: 'ferry_bytes_received_total', help: 'Bytes stored by PATCH requests', ...metric }),
    patchDuration: new Histogram({
      name: 'ferry_patch_duration_seconds',
      help: 'Duration of PATCH requests',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      ...metric,
    }),
    activeUploads: new Gauge({ name: 'ferry_active_uploads', help: 'PATCH requests in progress', ...metric }),
    promotionDuration: new Histogram({
      name: 'ferry_promotion_duration_seconds',
      help: 'Promotions of accepted files to their canonical keys (server-side copy on S3, link on disk), by result (promoted, failed)',
      labelNames: ['result'],
      buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120, 600],
      ...metric,
    }),
    downloadSignaturesRefused: new Counter({
      name: 'ferry_download_signatures_refused_total',
      help: 'Signed download URLs refused, by reason (malformed, mismatch, expired)',
      labelNames: ['reason'],
      ...metric,
    }),
    s3Errors: new Counter({
      name: 'ferry_s3_errors_total',
      help: 'Failed requests to the S3 store, by operation',
      labelNames: ['operation'],
      ...metric,
    }),
  }
}

export type Metrics = ReturnType<typeof createMetrics>
