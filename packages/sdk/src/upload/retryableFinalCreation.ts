import { DetailedError, type HttpRequest, type HttpResponse, type HttpStack } from 'tus-js-client'

/**
 * An HTTP stack under which the creation of a parallel upload's final upload can be retried.
 * tus-js-client retries only errors that name their request, and wraps every request's failure so
 * except that one: a network error there reached `onError` as a bare XHR event and ended the
 * upload, however many attempts were left. Here it becomes a `DetailedError` with its request,
 * so the usual policy (backoff, `retry` events) applies. Only for the Ferry server, where sending
 * it again is safe: a repeated creation gets the final upload the first one made.
 */
export function retryableFinalCreation(httpStack: HttpStack): HttpStack {
  return {
    getName: () => httpStack.getName(),
    createRequest(method: string, url: string): HttpRequest {
      const request = httpStack.createRequest(method, url)
      if (method !== 'POST') return request
      const send = request.send.bind(request)
      request.send = async (body?: unknown): Promise<HttpResponse> => {
        try {
          return await send(body)
        } catch (error) {
          if (error instanceof DetailedError || !request.getHeader('Upload-Concat')?.startsWith('final')) throw error
          // (Its typings declare no constructor arguments: the fields are set here instead.)
          const failure = new DetailedError('tus: failed to create the final upload')
          failure.originalRequest = request
          failure.causingError = error instanceof Error ? error : null
          throw failure
        }
      }
      return request
    },
  }
}
