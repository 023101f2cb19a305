import { S3Store } from '@tus/s3-store'
import { ERRORS, type Upload } from '@tus/utils'
import { forgetCreationDateOnceComplete } from './expiration.js'
import { isS3NotFound } from './s3Compatibility.js'

/**
 * @tus/s3-store with two defects mended:
 * - termination removes everything. The stock `remove()` aborts the multipart upload first, so
 *   for a completed upload (whose multipart upload is gone) it answers 404 and deletes nothing,
 *   and it never deletes the `<id>.part` object that holds a trailing part under S3's 5 MiB minimum;
 * - an empty file becomes an empty object. S3 cannot complete a multipart upload with no parts,
 *   so the stock store leaves an upload that is "complete" but has no object to read;
 * - a complete upload never expires (see `forgetCreationDateOnceComplete`), and expired ones are
 *   removed through `remove()`: the stock `deleteExpired()` leaves them in the metadata cache, where
 *   a vanished multipart upload reads as a complete one.
 */
export class FerryS3Store extends S3Store {
  override async getUpload(id: string): Promise<Upload> {
    return forgetCreationDateOnceComplete(await super.getUpload(id))
  }

  override async create(upload: Upload): Promise<Upload> {
    const created = await super.create(upload)
    if (upload.size === 0) {
      const { 'upload-id': multipartUploadId } = await this.getMetadata(upload.id)
      await this.client.putObject({ Bucket: this.bucket, Key: upload.id, Body: new Uint8Array(0) })
      await this.client.abortMultipartUpload({ Bucket: this.bucket, Key: upload.id, UploadId: multipartUploadId })
    }
    return created
  }

  override async deleteExpired(): Promise<number> {
    const expiration = this.getExpiration()
    if (expiration <= 0) return 0
    let deleted = 0
    let keyMarker: string | undefined
    let uploadIdMarker: string | undefined
    do {
      const page = await this.client.listMultipartUploads({
        Bucket: this.bucket,
        KeyMarker: keyMarker,
        UploadIdMarker: uploadIdMarker,
      })
      for (const upload of page.Uploads ?? []) {
        if (!upload.Key || !upload.Initiated) continue
        if (Date.now() <= upload.Initiated.getTime() + expiration) continue
        await this.remove(upload.Key).catch(() => undefined)
        deleted++
      }
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined
      uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined
    } while (keyMarker)
    return deleted
  }

  override async remove(id: string): Promise<void> {
    let multipartUploadId: string | undefined
    try {
      multipartUploadId = (await this.getMetadata(id))['upload-id']
    } catch (error) {
      if (isS3NotFound(error)) throw ERRORS.FILE_NOT_FOUND
      throw error
    }
    if (multipartUploadId) {
      try {
        await this.client.abortMultipartUpload({
          Bucket: this.bucket,
          Key: id,
          UploadId: multipartUploadId,
        })
      } catch (error) {
        // A completed upload no longer has a multipart upload to abort; its object remains.
        if (!isS3NotFound(error)) throw error
      }
    }
    await this.client.deleteObjects({
      Bucket: this.bucket,
      Delete: {
        Objects: [{ Key: id }, { Key: this.infoKey(id) }, { Key: this.partKey(id, true) }],
        Quiet: true,
      },
    })
    await this.cache.delete(id)
  }
}
