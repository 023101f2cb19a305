import { createHash } from 'node:crypto'
import type { HttpRequest, HttpResponse, HttpStack } from 'tus-js-client'
import { describe, expect, it } from 'vitest'
import { checksumHttpStack } from './checksumHttpStack.js'

/** A scripted HTTP stack that records what would have been sent. */
function recordingStack() {
  const sent: { headers: Record<string, string>; body: unknown }[] = []
  const stack: HttpStack = {
    getName: () => 'recording',
    createRequest(method: string, url: string): HttpRequest {
      const headers: Record<string, string> = {}
      return {
        getMethod: () => method,
        getURL: () => url,
        setHeader: (name, value) => void (headers[name] = value),
        getHeader: (name) => headers[name],
        setProgressHandler: () => {},
        abort: async () => {},
        getUnderlyingObject: () => null,
        async send(body: unknown): Promise<HttpResponse> {
          sent.push({ headers: { ...headers }, body })
          return { getStatus: () => 204, getHeader: () => undefined, getBody: () => '', getUnderlyingObject: () => null }
        },
      }
    },
  }
  return { stack, sent }
}

const file = new Blob([new Uint8Array(1000).map((_, index) => index % 251)])
const base64Sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('base64')

describe('checksumHttpStack', () => {
  it('digests the chunk itself when no digest is known, and sends the Blob', async () => {
    const { stack, sent } = recordingStack()
    const request = checksumHttpStack({ httpStack: stack }).createRequest('PATCH', '/files/1')
    request.setHeader('Upload-Offset', '100')
    const chunk = file.slice(100, 600)
    await request.send(chunk)
    expect(sent[0]?.body).toBe(chunk)
    expect(sent[0]?.headers['Upload-Checksum']).toBe(`sha256 ${base64Sha256(new Uint8Array(await chunk.arrayBuffer()))}`)
  })

  it('takes the digest of the chunk from chunkDigest, given the chunk and its request offset', async () => {
    const { stack, sent } = recordingStack()
    const asked: [number, number][] = []
    const known = new Uint8Array(32).fill(7)
    const chunkDigest = ({ body, offset }: { body: Blob; offset: number }) => {
      asked.push([offset, body.size])
      return Promise.resolve(known)
    }
    const request = checksumHttpStack({ httpStack: stack, chunkDigest }).createRequest('PATCH', '/files/1')
    request.setHeader('Upload-Offset', '500')
    await request.send(file.slice(500, 1000))
    expect(asked).toEqual([[500, 500]])
    expect(sent[0]?.headers['Upload-Checksum']).toBe(`sha256 ${Buffer.from(known).toString('base64')}`)
  })

  it('falls back to digesting the chunk when the known digest never comes', async () => {
    const { stack, sent } = recordingStack()
    const request = checksumHttpStack({ httpStack: stack, chunkDigest: () => Promise.resolve(undefined) })
      .createRequest('PATCH', '/files/1')
    request.setHeader('Upload-Offset', '0')
    await request.send(file.slice(0, 10))
    expect(sent[0]?.headers['Upload-Checksum']).toBe(`sha256 ${base64Sha256(new Uint8Array(await file.slice(0, 10).arrayBuffer()))}`)
  })

  it('does not send a request aborted while it waited for the digest', async () => {
    const { stack, sent } = recordingStack()
    let release: (digest: Uint8Array) => void = () => {}
    const chunkDigest = () => new Promise<Uint8Array>((resolve) => (release = resolve))
    const request = checksumHttpStack({ httpStack: stack, chunkDigest }).createRequest('PATCH', '/files/1')
    request.setHeader('Upload-Offset', '0')
    const sending = request.send(file.slice(0, 10))
    await request.abort()
    release(new Uint8Array(32))
    await expect(sending).rejects.toMatchObject({ code: 'aborted' })
    expect(sent).toEqual([])
  })

  it('checksums a creation that carries the first chunk, from the first byte', async () => {
    const { stack, sent } = recordingStack()
    const asked: [number, number][] = []
    const chunkDigest = ({ body, offset }: { body: Blob; offset: number }) => {
      asked.push([offset, body.size])
      return Promise.resolve(undefined)
    }
    const whole = file.slice(0, 1000)
    await checksumHttpStack({ httpStack: stack, chunkDigest }).createRequest('POST', '/files/').send(whole)
    expect(asked).toEqual([[0, 1000]])
    expect(sent[0]?.headers['Upload-Checksum']).toBe(`sha256 ${base64Sha256(new Uint8Array(await whole.arrayBuffer()))}`)
  })

  it('leaves bodiless requests and other methods alone', async () => {
    const { stack, sent } = recordingStack()
    await checksumHttpStack({ httpStack: stack }).createRequest('HEAD', '/files/1').send(null)
    await checksumHttpStack({ httpStack: stack }).createRequest('POST', '/files/').send(null)
    expect(sent.map((request) => request.headers['Upload-Checksum'])).toEqual([undefined, undefined])
  })
})
