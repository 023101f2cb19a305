import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { rejectDuplicateHeaders } from './rejectDuplicateHeaders.js'

function appWith(errorHeaders?: () => Record<string, string>) {
  const app = new Hono()
  app.use('*', rejectDuplicateHeaders({ errorHeaders }))
  app.all('*', (c) => c.text('passed'))
  return app
}

/** What @hono/node-server passes as `env`: the Node request with its raw header lines. */
const served = (...rawHeaders: string[]) => ({ incoming: { rawHeaders } })

describe('rejectDuplicateHeaders', () => {
  it('answers 400 naming the first single-valued header that is repeated, in any case', async () => {
    const response = await appWith(() => ({ 'Tus-Resumable': '1.0.0' })).request(
      '/files/x',
      { method: 'PATCH' },
      served('Host', 'a', 'upload-offset', '0', 'Content-Type', 'x', 'Upload-Offset', '0'),
    )
    expect(response.status).toBe(400)
    expect(response.headers.get('tus-resumable')).toBe('1.0.0')
    expect(await response.json()).toEqual({
      error: {
        code: 'duplicate-header',
        message: 'ferry-server: the Upload-Offset header was sent more than once; send it once',
      },
    })
  })

  it('lets through headers sent once and repeats of list-valued headers', async () => {
    const env = served('Upload-Offset', '0', 'Accept', 'a', 'Accept', 'b', 'Tus-Resumable', '1.0.0')
    expect(await (await appWith().request('/files/x', {}, env)).text()).toBe('passed')
  })

  it('lets requests through where there are no raw headers to count (not Node)', async () => {
    expect((await appWith().request('/files/x')).status).toBe(200)
  })
})
