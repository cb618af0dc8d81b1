/** Typed OCI distribution API calls on one registry: manifests, blobs, uploads, tag and referrer listings. */
import type { Readable } from 'node:stream';
import { assertDigest, DigestVerifier, sha256Digest } from './digest.js';
import { descriptorList, MAX_INDEX_ENTRIES } from './descriptors.js';
import {
  bareMediaType,
  isManifestMediaType,
  MANIFEST_ACCEPT,
  MAX_MANIFEST_BYTES,
  OCI_INDEX,
  type Descriptor,
} from './media-types.js';
import { uploadBlob, uploadLocation } from './blob-upload.js';
import { pull, push } from './scopes.js';
import { RegistryError } from './transport/errors.js';
import { linkedPages, MAX_PAGE_BYTES } from './transport/pages.js';
import { Transport, type TransportOptions } from './transport/transport.js';

/** A manifest exactly as the registry served it. */
export interface ManifestBytes {
  bytes: Buffer;
  mediaType: string;
  digest: string;
}

export interface ManifestHead {
  digest: string;
  mediaType: string;
  size: number;
}

export type MountResult = { mounted: true } | { mounted: false; uploadLocation: string };

/** Typed blob and manifest operations of the OCI distribution API on one registry. */
export class RegistryClient {
  constructor(readonly transport: Transport) {}

  get registry(): string {
    return this.transport.registry;
  }

  async headManifest(repository: string, reference: string): Promise<ManifestHead | undefined> {
    const response = await this.transport.send({
      method: 'HEAD',
      path: `/v2/${repository}/manifests/${reference}`,
      scopes: [pull(repository)],
      headers: { accept: MANIFEST_ACCEPT },
      accept: [200, 404],
    });
    await response.discard();
    if (response.status === 404) return undefined;
    const digest = response.headers.get('docker-content-digest');
    const mediaType = bareMediaType(response.headers.get('content-type'));
    if (digest === null) {
      // Without the header only a GET can tell the digest.
      const manifest = await this.getManifest(repository, reference);
      return { digest: manifest.digest, mediaType: manifest.mediaType, size: manifest.bytes.length };
    }
    return { digest, mediaType, size: Number(response.headers.get('content-length') ?? 0) };
  }

  /** GETs a manifest and proves its digest: against `reference` when it is one, else the registry's header. */
  async getManifest(repository: string, reference: string, expectedDigest?: string): Promise<ManifestBytes> {
    return this.transport.withRetries(`GET manifest ${repository}@${reference}`, async () => {
      const response = await this.transport.send({
        method: 'GET',
        path: `/v2/${repository}/manifests/${reference}`,
        scopes: [pull(repository)],
        headers: { accept: MANIFEST_ACCEPT },
        accept: [200, 404],
        retry: false,
      });
      if (response.status === 404) {
        await response.discard();
        throw new RegistryError(
          `manifest ${this.registry}/${repository}:${reference} not found`,
          404,
          'MANIFEST_UNKNOWN',
          false,
        );
      }
      const bytes = await response.bytes(MAX_MANIFEST_BYTES);
      let mediaType = bareMediaType(response.headers.get('content-type'));
      if (!isManifestMediaType(mediaType)) {
        const declared = (JSON.parse(bytes.toString('utf8')) as { mediaType?: string }).mediaType;
        if (declared === undefined || !isManifestMediaType(declared)) {
          throw new RegistryError(
            `${this.registry}/${repository}@${reference}: unsupported manifest type "${mediaType}"`,
            200,
            undefined,
            false,
          );
        }
        mediaType = declared;
      }
      const what = `manifest ${this.registry}/${repository}@${reference}`;
      const expected =
        expectedDigest ?? (reference.includes(':') ? reference : response.headers.get('docker-content-digest'));
      if (expected !== null && expected !== undefined) {
        assertDigest(bytes, expected, what);
        return { bytes, mediaType, digest: expected };
      }
      return { bytes, mediaType, digest: sha256Digest(bytes) };
    });
  }

  /** PUTs manifest bytes unchanged, under a digest or a tag. */
  async putManifest(
    repository: string,
    reference: string,
    manifest: { bytes: Uint8Array; mediaType: string; digest: string },
  ): Promise<void> {
    const response = await this.transport.send({
      method: 'PUT',
      path: `/v2/${repository}/manifests/${reference}`,
      scopes: [push(repository)],
      headers: { 'content-type': manifest.mediaType },
      body: () => manifest.bytes,
      accept: [200, 201],
      paced: true,
    });
    await response.discard();
    const stored = response.headers.get('docker-content-digest');
    if (stored !== null && stored !== manifest.digest) {
      throw new RegistryError(
        `${this.registry}/${repository}:${reference} stored the manifest as ${stored}, expected ${manifest.digest}`,
        response.status,
        undefined,
        false,
      );
    }
  }

  async deleteManifest(repository: string, digest: string): Promise<void> {
    const response = await this.transport.send({
      method: 'DELETE',
      path: `/v2/${repository}/manifests/${digest}`,
      scopes: [`repository:${repository}:delete`, push(repository)],
      accept: [202, 404],
    });
    await response.discard();
  }

  /** The blob's size when the repository has it. */
  async headBlob(repository: string, digest: string): Promise<number | undefined> {
    const response = await this.transport.send({
      method: 'HEAD',
      path: `/v2/${repository}/blobs/${digest}`,
      scopes: [pull(repository)],
      accept: [200, 404],
    });
    await response.discard();
    if (response.status === 404) return undefined;
    return Number(response.headers.get('content-length') ?? -1);
  }

  /** A stream of the blob that errors at its end unless the content matches the descriptor. */
  async getBlob(repository: string, descriptor: Pick<Descriptor, 'digest' | 'size'>): Promise<Readable> {
    const response = await this.transport.send({
      method: 'GET',
      path: `/v2/${repository}/blobs/${descriptor.digest}`,
      scopes: [pull(repository)],
      accept: [200],
      transfer: true,
    });
    const verifier = new DigestVerifier(
      descriptor.digest,
      descriptor.size,
      `blob ${this.registry}/${repository}@${descriptor.digest}`,
    );
    const body = response.stream();
    body.on('error', (error) => verifier.destroy(error));
    return body.pipe(verifier);
  }

  /** Asks the registry to link a blob it already holds in `fromRepository`; a 202 starts an upload instead. */
  async mountBlob(repository: string, digest: string, fromRepository: string): Promise<MountResult> {
    const response = await this.transport.send({
      method: 'POST',
      path: `/v2/${repository}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(fromRepository)}`,
      scopes: [push(repository), pull(fromRepository)],
      accept: [201, 202],
      paced: true,
    });
    await response.discard();
    if (response.status === 201) return { mounted: true };
    return { mounted: false, uploadLocation: uploadLocation(this.transport, response) };
  }

  /** Uploads one blob (see `uploadBlob` in blob-upload.ts for how ECR shapes it). */
  uploadBlob(
    repository: string,
    descriptor: Pick<Descriptor, 'digest' | 'size'>,
    openContent: () => Readable | Uint8Array,
    sessionLocation?: string,
  ): Promise<void> {
    return uploadBlob(this.transport, repository, descriptor, openContent, sessionLocation);
  }

  /** All tags of a repository (empty when it does not exist yet), following `Link` pages. */
  async listTags(repository: string): Promise<string[]> {
    const tags: string[] = [];
    const request = { scopes: [pull(repository)], accept: [200, 404] };
    for await (const page of linkedPages(this.transport, `/v2/${repository}/tags/list?n=1000`, request)) {
      if (page.status === 404) {
        await page.discard();
        return tags;
      }
      const body = JSON.parse((await page.bytes(MAX_PAGE_BYTES)).toString('utf8')) as { tags?: string[] | null };
      tags.push(...(body.tags ?? []));
    }
    return tags;
  }

  /**
   * The OCI 1.1 referrers of `digest`, following `Link` pages; `undefined` when the registry has
   * no referrers API (it answers 404 or another non-200, as distribution 2.8 does).
   */
  async listReferrers(repository: string, digest: string, artifactType?: string): Promise<Descriptor[] | undefined> {
    const referrers: Descriptor[] = [];
    const filter = artifactType === undefined ? '' : `?artifactType=${encodeURIComponent(artifactType)}`;
    const request = { scopes: [pull(repository)], headers: { accept: OCI_INDEX }, accept: [200, 400, 404, 405, 501] };
    for await (const page of linkedPages(this.transport, `/v2/${repository}/referrers/${digest}${filter}`, request)) {
      if (page.status !== 200) {
        await page.discard();
        return undefined;
      }
      const body = JSON.parse((await page.bytes(MAX_PAGE_BYTES)).toString('utf8')) as { manifests?: unknown };
      const what = `${this.registry}/${repository}: referrers of ${digest}`;
      referrers.push(...descriptorList(body.manifests, what, 'referrers', 'referrer', MAX_INDEX_ENTRIES));
      if (referrers.length > MAX_INDEX_ENTRIES)
        throw new RegistryError(`${what}: more than ${MAX_INDEX_ENTRIES} referrers`, 200, undefined, false);
    }
    return referrers;
  }
}

/** A client for one registry with its own transport (auth, retries, pacing). */
export function connectRegistry(registry: string, options: TransportOptions): RegistryClient {
  return new RegistryClient(new Transport(registry, options));
}
