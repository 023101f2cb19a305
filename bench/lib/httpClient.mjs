// The server benchmarks' client: node:http with keep-alive, a file stream piped into each request.
// undici's fetch with a stream body cost the client about a sixth more CPU on this 2-core machine,
// which the client takes from the servers it measures (a scratch comparison, 5 rounds: a plain PUT
// 219 against 264 MB/s, stock @tus/server 136 against 156).
import http from 'node:http'

const agent = new http.Agent({ keepAlive: true })

/**
 * Sends one request and reads its whole answer.
 * @param {string} url
 * @param {{ method: string, headers?: Record<string, string>, body?: import('node:stream').Readable }} init
 * @returns {Promise<{ status: number, ok: boolean, headers: import('node:http').IncomingHttpHeaders, text: string }>}
 */
export function send(url, { method, headers = {}, body }) {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method, headers, agent }, (response) => {
      const parts = []
      response.on('data', (part) => parts.push(part))
      response.on('error', reject)
      response.on('end', () => {
        const status = response.statusCode ?? 0
        resolve({ status, ok: status >= 200 && status < 300, headers: response.headers, text: Buffer.concat(parts).toString() })
      })
    })
    request.on('error', reject)
    if (!body) return request.end()
    body.on('error', (error) => request.destroy(error))
    body.pipe(request)
  })
}
