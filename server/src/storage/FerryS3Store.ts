import { S3Store } from '@tus/s3-store'
import { ERRORS, type Upload } from '@tus/utils'
import { isS3NotFound } from './s3Compatibility.js'

/**
 * @tus/s3-store with two defects mended:
 * - termination removes everything. The stock `remove()` aborts the multipart upload first, so
 *   for a completed upload (whose multipart upload is gone) it answers 404 and deletes nothing,
 *   and it never deletes the `<id>.part` object that holds a trailing part under S3's 5 MiB minimum;
 * - an empty file becomes an empty object. S3 cannot complete a multipart upload with no parts,
 *   so the stock store leaves an upload that is "complete" but has no object to read.
 */
export class FerryS3Store extends S3Store {
  override async create(upload: Upload): Promise<Upload> {
    const created = await super.create(upload)
    if (upload.size === 0) {
      const { 'upload-id': multipartUploadId } = await this.getMetadata(upload.id)
      await this.client.putObject({ Bucket: this.bucket, Key: upload.id, Body: new Uint8Array(0) })
      await this.client.abortMultipartUpload({ Bucket: this.bucket, Key: upload.id, UploadId: multipartUploadId })
    }
    return created
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
