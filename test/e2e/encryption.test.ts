import { randomBytes } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { sha256, sha256OfResponse } from '../helpers/files.js'
import { fetchImage, noisyJpeg, uploadBytes, waitForManifest } from '../helpers/processing.js'
import { startServerProcess } from '../helpers/serverProcess.js'
import { prepareStore } from '../helpers/stores.js'
import { createUpload, patch, reprDigest } from '../helpers/tus.js'

const MIB = 1024 * 1024
const KEY = randomBytes(32).toString('hex')

describe('encryption at rest on the disk store', () => {
  it('stores ciphertext, serves plaintext with Range, and processes images', async () => {
    const store = await prepareStore('disk')
    const server = await startServerProcess({ ...store.env, FERRY_ENCRYPTION_KEY: KEY })
    try {
      const bytes = randomBytes(3 * MIB + 123)
      const url = await createUpload(`${server.url}/files/`, bytes.length)
      expect((await patch(url, 0, bytes.subarray(0, MIB + 7))).status).toBe(204)
      expect((await patch(url, MIB + 7, bytes.subarray(MIB + 7), reprDigest(bytes))).status).toBe(200)
      expect(await sha256OfResponse(await fetch(url))).toBe(sha256(bytes))
      const ranged = await fetch(url, { headers: { Range: 'bytes=65530-65545' } })
      expect(ranged.status).toBe(206)
      expect(Buffer.from(await ranged.arrayBuffer()).equals(bytes.subarray(65530, 65546))).toBe(true)

      // On disk: no 32-byte window of the plaintext.
      const id = url.split('/').at(-1) ?? ''
      const onDisk = await readFile(path.join(store.env.FERRY_DATA_DIR ?? '', 'uploads', id))
      expect(onDisk.includes(bytes.subarray(2 * MIB, 2 * MIB + 32))).toBe(false)

      const photo = await uploadBytes(server.url, await noisyJpeg(800, 600), 'secret.jpg', 'image/jpeg')
      const manifest = await waitForManifest(server.url, photo.id)
      expect(manifest.state).toBe('done')
      const thumbnail = manifest.outputs.find((output) => output.name === 'thumb_150.jpg')
      const image = await fetchImage(thumbnail?.url ?? '')
      expect([image.format, image.width]).toEqual(['jpeg', 150])
      const derivedOnDisk = await readFile(path.join(store.env.FERRY_DATA_DIR ?? '', thumbnail?.key ?? ''))
      expect(derivedOnDisk.subarray(0, 8).toString()).toBe('FERRYENC')
    } finally {
      await server.stop()
    }
  })

  it('refuses a malformed key at start-up, naming the variable', async () => {
    await expect(startServerProcess({ ...(await prepareStore('disk')).env, FERRY_ENCRYPTION_KEY: 'password123' })).rejects.toThrow(
      /FERRY_ENCRYPTION_KEY/,
    )
  })
})
