import { S3Store } from '@tus/s3-store'
import { ERRORS } from '@tus/utils'
import { isS3NotFound } from './s3Compatibility.js'

/**
 * @tus/s3-store with a termination that removes everything. The stock `remove()` aborts the
 * multipart upload first, so for a completed upload (whose multipart upload is gone) it answers
 * 404 and deletes nothing, and it never deletes the `<id>.part` object that holds a trailing
 * part smaller than S3's 5 MiB minimum.
 */
export class FerryS3Store extends S3Store {
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
