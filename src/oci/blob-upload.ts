/** Blob upload sessions: start, one streaming PATCH, the closing PUT, and where the registry says to go next. */
import type { Readable } from 'node:stream';
import type { Descriptor } from './media-types.js';
import { push } from './scopes.js';
import { RegistryError } from './transport/errors.js';
import type { RegistryResponse } from './transport/response.js';
import type { Transport } from './transport/transport.js';

/**
 * Uploads one blob as a single streaming PATCH and a closing PUT. That suits ECR, which needs
 * parts of at least 5 MiB, answers PATCH with 201 and does not advance `Range`: with one part
 * there is no offset to track. A failed attempt starts over with a new session.
 */
export async function uploadBlob(
  transport: Transport,
  repository: string,
  descriptor: Pick<Descriptor, 'digest' | 'size'>,
  openContent: () => Readable | Uint8Array,
  sessionLocation?: string,
): Promise<void> {
  let location = sessionLocation;
  let content: Readable | Uint8Array | undefined;
  const open = (): Readable | Uint8Array => (content = openContent());
  await transport.withRetries(`upload ${transport.registry}/${repository}@${descriptor.digest}`, async () => {
    try {
      location ??= await startUpload(transport, repository);
      let next = location;
      if (descriptor.size > 0) {
        const patch = await transport.send({
          method: 'PATCH',
          path: next,
          scopes: [push(repository)],
          headers: {
            'content-type': 'application/octet-stream',
            'content-length': String(descriptor.size),
            'content-range': `0-${descriptor.size - 1}`,
          },
          body: open,
          accept: [201, 202, 204],
          retry: false,
          transfer: true,
        });
        await patch.discard();
        next = uploadLocation(transport, patch, next);
      }
      const url = new URL(transport.resolve(next));
      url.searchParams.set('digest', descriptor.digest);
      const put = await transport.send({
        method: 'PUT',
        path: url.toString(),
        scopes: [push(repository)],
        headers: { 'content-type': 'application/octet-stream', 'content-length': '0' },
        accept: [201, 204],
        paced: true,
        retry: false,
        // Some registries verify the whole blob before they answer the closing PUT.
        transfer: true,
      });
      await put.discard();
      const stored = put.headers.get('docker-content-digest');
      if (stored !== null && stored !== descriptor.digest) {
        throw new RegistryError(
          `${transport.registry}/${repository}: blob stored as ${stored}, expected ${descriptor.digest}`,
          put.status,
          undefined,
          false,
        );
      }
    } catch (error) {
      // When the content failed (a corrupt or vanished source), that is the reason, not the broken PATCH.
      const stream = content !== undefined && !(content instanceof Uint8Array) ? content : undefined;
      const contentError = stream?.errored ?? null;
      // A refused PATCH may have left its content half read: let go of it, so the spool it tees into keeps filling.
      stream?.destroy();
      if (contentError !== null) throw contentError;
      // The registry saw other bytes than we sent (corrupted in transit): the content is verified, so send it again.
      if (error instanceof RegistryError && error.code === 'DIGEST_INVALID')
        throw new RegistryError(error.message, error.status, error.code, true);
      throw error;
    } finally {
      location = undefined;
      content = undefined;
    }
  });
}

async function startUpload(transport: Transport, repository: string): Promise<string> {
  const response = await transport.send({
    method: 'POST',
    path: `/v2/${repository}/blobs/uploads/`,
    scopes: [push(repository)],
    accept: [202],
    paced: true,
    retry: false,
  });
  await response.discard();
  return uploadLocation(transport, response);
}

/** The absolute URL of the upload session the response points at. */
export function uploadLocation(transport: Transport, response: RegistryResponse, fallback?: string): string {
  const location = response.headers.get('location');
  if (location !== null) return new URL(location, response.url || transport.baseUrl).toString();
  if (fallback !== undefined) return fallback;
  throw new RegistryError(
    `${transport.registry}: upload response without a Location header`,
    response.status,
    undefined,
    false,
  );
}
