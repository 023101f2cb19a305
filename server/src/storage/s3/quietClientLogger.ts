/**
 * A logger for the S3 client, which otherwise warns on the console whenever a streamed request
 * fails: a streamed part is abandoned on purpose when its request ends early, and sent again from
 * memory when it failed. Failed commands reach their callers as rejections, so `error` (which the
 * client calls for each, 404s included) stays quiet too.
 */
export const quietAboutAbandonedStreams = {
  debug: () => {},
  info: () => {},
  warn: (...content: unknown[]) => {
    if (content[0] !== 'An error was encountered in a non-retryable streaming request.') console.warn(...content)
  },
  error: () => {},
}
