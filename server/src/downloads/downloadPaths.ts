import { TUS_PATH } from '../tus/createTusServer.js'

/**
 * The paths a download signature is made for, from a file's id (and an output's name): the same
 * function builds them when signing and from a request's route parameters when checking.
 */
export function filePath(id: string): string {
  return `${TUS_PATH}/${encodeURIComponent(id)}`
}

export function outputPath(id: string, name: string): string {
  return `/api/files/${encodeURIComponent(id)}/outputs/${encodeURIComponent(name)}`
}
