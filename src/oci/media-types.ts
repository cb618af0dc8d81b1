/** Media types and the JSON shapes of OCI and Docker v2 manifests, as plain interfaces. */

export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const DOCKER_CONFIG = 'application/vnd.docker.container.image.v1+json';
export const OCI_LAYER_TAR = 'application/vnd.oci.image.layer.v1.tar';
export const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';
export const DOCKER_LAYER_GZIP = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
export const DOCKER_FOREIGN_LAYER = 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip';

/** All four, so a registry never down-converts or picks a platform for us (that would change the digest). */
export const MANIFEST_MEDIA_TYPES = [OCI_INDEX, DOCKER_MANIFEST_LIST, OCI_MANIFEST, DOCKER_MANIFEST] as const;
export const MANIFEST_ACCEPT = MANIFEST_MEDIA_TYPES.join(', ');

export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform;
  artifactType?: string;
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  config: Descriptor;
  layers: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  artifactType?: string;
  manifests: Descriptor[];
  subject?: Descriptor;
  annotations?: Record<string, string>;
}

export function isIndexMediaType(mediaType: string): boolean {
  return mediaType === OCI_INDEX || mediaType === DOCKER_MANIFEST_LIST;
}

export function isImageManifestMediaType(mediaType: string): boolean {
  return mediaType === OCI_MANIFEST || mediaType === DOCKER_MANIFEST;
}

export function isManifestMediaType(mediaType: string): boolean {
  return (MANIFEST_MEDIA_TYPES as readonly string[]).includes(mediaType);
}

/** Layers that registries may not redistribute: they carry `urls` and are fetched from there. */
export function isForeignLayer(descriptor: Descriptor): boolean {
  return (
    descriptor.mediaType === DOCKER_FOREIGN_LAYER ||
    descriptor.mediaType.startsWith('application/vnd.oci.image.layer.nondistributable.') ||
    (descriptor.urls !== undefined && descriptor.urls.length > 0)
  );
}

/** Attestation manifests in BuildKit indexes carry this platform; they are not runnable images. */
export function isAttestationEntry(descriptor: Descriptor): boolean {
  return descriptor.platform?.os === 'unknown' && descriptor.platform.architecture === 'unknown';
}

export function platformString(platform: Platform | undefined): string {
  if (platform === undefined) return 'unknown';
  return [platform.os, platform.architecture, platform.variant].filter((p) => p !== undefined && p !== '').join('/');
}

/** Strips parameters and white space: `application/json; charset=utf-8` → `application/json`. */
export function bareMediaType(contentType: string | null | undefined): string {
  return (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
}

/** The digests an index manifest lists; none for anything that is not an index (or not JSON). */
export function indexChildDigests(manifest: Uint8Array): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(manifest).toString('utf8'));
  } catch {
    return [];
  }
  const entries =
    typeof parsed === 'object' && parsed !== null ? (parsed as { manifests?: unknown }).manifests : undefined;
  if (!Array.isArray(entries)) return [];
  return entries.flatMap((entry: unknown) => {
    const digest = typeof entry === 'object' && entry !== null ? (entry as { digest?: unknown }).digest : undefined;
    return typeof digest === 'string' ? [digest] : [];
  });
}
