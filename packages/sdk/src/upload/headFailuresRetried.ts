import { DetailedError, type HttpRequest, type HttpResponse, type HttpStack } from 'tus-js-client'

/**
 * An HTTP stack under which only 404 and 410 answers to the HEAD that re-reads an upload's offset
 * mean the upload is gone. tus-js-client takes any other failure there (503 from a server
 * restarting, 429, 401 with an expired token) for a lost upload too: it creates a new upload and
 * sends the whole file again from byte 0, and on a 4xx forgets the resume record. Here such an
 * answer fails the request instead, so the retry policy decides (the answer is the error's
 * `originalResponse`, or its `causingError`'s once tus-js-client has wrapped it).
 */
export function headFailuresRetried(httpStack: HttpStack): HttpStack {
  return {
    getName: () => httpStack.getName(),
    createRequest(method: string, url: string): HttpRequest {
      const request = httpStack.createRequest(method, url)
      if (method !== 'HEAD') return request
      const send = request.send.bind(request)
      request.send = async (body?: unknown): Promise<HttpResponse> => {
        const response = await send(body)
        const status = response.getStatus()
        if ((status >= 200 && status < 300) || status === 404 || status === 410) return response
        // (Its typings declare no constructor arguments: the fields are set here instead.)
        const failure = new DetailedError(`tus: the server answered ${status} when asked for the upload's offset`)
        failure.originalRequest = request
        failure.originalResponse = response
        throw failure
      }
      return request
    },
  }
}

/** The answer behind a tus-js-client error: its own, or that of the error it wraps. */
export function responseOf(error: DetailedError): HttpResponse | null {
  if (error.originalResponse) return error.originalResponse
  const cause = error.causingError as Partial<DetailedError> | null | undefined
  return cause?.originalResponse ?? null
}
