import type { HttpRequest, HttpResponse, HttpStack } from 'tus-js-client'

/**
 * An HTTP stack that adds the tus checksum extension's `Upload-Checksum: sha256 <base64>` to every
 * PATCH: WebCrypto hashes the chunk (natively, about twice as fast as WASM), and the server then
 * refuses a chunk damaged in transit with 460 instead of storing it. The chunk is still sent as
 * its Blob, not as the buffer just read: Chromium uploads an ArrayBuffer body about six times
 * slower than a file-backed Blob (measured: 32 MiB in 3.5 s against 0.55 s), and the second read
 * of the chunk comes from the page cache.
 */
export function checksumHttpStack(inner: HttpStack): HttpStack {
  return {
    getName: () => `${inner.getName()}+sha256-checksum`,
    createRequest(method: string, url: string): HttpRequest {
      const request = inner.createRequest(method, url)
      if (method !== 'PATCH') return request
      return {
        getMethod: () => request.getMethod(),
        getURL: () => request.getURL(),
        setHeader: (name, value) => request.setHeader(name, value),
        getHeader: (name) => request.getHeader(name),
        setProgressHandler: (handler) => request.setProgressHandler(handler),
        abort: () => request.abort(),
        getUnderlyingObject: () => request.getUnderlyingObject(),
        async send(body: unknown): Promise<HttpResponse> {
          if (!(body instanceof Blob)) return request.send(body)
          const bytes = await body.arrayBuffer()
          const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))
          let binary = ''
          for (const byte of digest) binary += String.fromCharCode(byte)
          request.setHeader('Upload-Checksum', `sha256 ${btoa(binary)}`)
          return request.send(body)
        },
      }
    },
  }
}
