import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { metricValue } from '../helpers/metrics.js'
import { startServerProcess } from '../helpers/serverProcess.js'
import { prepareStore } from '../helpers/stores.js'
import { createUpload, patch, reprDigest, TUS } from '../helpers/tus.js'

describe('Prometheus metrics', () => {
  it('counts uploads created, completed and refused, bytes received and PATCH durations', async () => {
    const server = await startServerProcess({ ...(await prepareStore('disk')).env, FERRY_PROCESSING: 'false' })
    try {
      const bytes = randomBytes(300_000)
      const url = await createUpload(`${server.url}/files/`, bytes.length)
      expect((await patch(url, 0, bytes.subarray(0, 100_000))).status).toBe(204)
      expect((await patch(url, 100_000, bytes.subarray(100_000), reprDigest(bytes))).status).toBe(200)
      // A creation with upload counts its body's bytes like a PATCH.
      const withUpload = await fetch(`${server.url}/files/`, {
        method: 'POST',
        headers: { ...TUS, 'Upload-Length': '10000', 'Content-Type': 'application/offset+octet-stream' },
        body: randomBytes(4000),
      })
      expect(withUpload.status).toBe(201)
      const bad = await createUpload(`${server.url}/files/`, 10)
      expect((await patch(bad, 0, Buffer.alloc(10), reprDigest(Buffer.alloc(3)))).status).toBe(422)

      const response = await fetch(`${server.url}/metrics`)
      expect(response.headers.get('content-type')).toContain('text/plain')
      const text = await response.text()
      expect(metricValue(text, 'ferry_uploads_created_total')).toBe(3)
      expect(metricValue(text, 'ferry_uploads_completed_total{state="verified"}')).toBe(1)
      expect(metricValue(text, 'ferry_uploads_failed_total{reason="digest-mismatch"}')).toBe(1)
      // Bytes acknowledged to clients; the refused PATCH's are not counted.
      expect(metricValue(text, 'ferry_bytes_received_total')).toBe(bytes.length + 4000)
      expect(metricValue(text, 'ferry_patch_duration_seconds_count')).toBe(3)
      expect(metricValue(text, 'ferry_active_uploads')).toBe(0)
      // The verified file went to its canonical key; the quarantined one never does.
      expect(metricValue(text, 'ferry_promotion_duration_seconds_count{result="promoted"}')).toBe(1)
      expect(metricValue(text, 'ferry_promotion_duration_seconds_count{result="failed"}')).toBe(0)
      expect(text).toContain('ferry_process_resident_memory_bytes')
    } finally {
      await server.stop()
    }
  })
})
