import { pino, type Logger } from 'pino'
import type { ServerConfig } from './config/loadConfig.js'

/** JSON logs on stdout, one object per line, named `ferry-server`. */
export function createLogger(level: ServerConfig['logLevel']): Logger {
  return pino({ name: 'ferry-server', level })
}
