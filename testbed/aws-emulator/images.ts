/**
 * ECR's image view (digests, tags, push times) over a real distribution registry.
 * Distribution has no API to list untagged manifests, so an image here is: a tagged manifest,
 * a child of a tagged index, nested indexes included (ECR lists those as untagged images), or one pushed by digest
 * through PutImage.
 */
import { RegistryBackend, type StoredManifest } from './registry-backend.js';
import { AwsError } from './http.js';

export interface ImageRecord extends StoredManifest {
  tags: string[];
  sizeInBytes: number;
  pushedAt: Date;
  /** The config media type of an image manifest, the artifactType when set. */
  artifactMediaType?: string;
}

export interface ImageId {
  imageDigest?: string;
  imageTag?: string;
}

export interface DeletedImage {
  repositoryPath: string;
  imageDigest: string;
  imageTag?: string;
  at: Date;
}

interface ManifestShape {
  mediaType?: string;
  artifactType?: string;
  config?: { mediaType?: string; size?: number };
  layers?: { size?: number }[];
  manifests?: { digest?: string; size?: number }[];
}

function parseManifest(bytes: Buffer): ManifestShape {
  try {
    return JSON.parse(bytes.toString('utf8')) as ManifestShape;
  } catch {
    return {};
  }
}

export function describeImageId(imageId: ImageId): string {
  const parts: string[] = [];
  if (imageId.imageDigest !== undefined) parts.push(`imageDigest=${imageId.imageDigest}`);
  if (imageId.imageTag !== undefined) parts.push(`imageTag=${imageId.imageTag}`);
  return `{${parts.join(', ')}}`;
}

/** An image as both DescribeImages APIs describe it. */
export function imageDetail(registryId: string, repositoryName: string, image: ImageRecord): Record<string, unknown> {
  return {
    registryId,
    repositoryName,
    imageDigest: image.digest,
    ...(image.tags.length > 0 ? { imageTags: image.tags } : {}),
    imageSizeInBytes: image.sizeInBytes,
    imagePushedAt: image.pushedAt,
    imageManifestMediaType: image.mediaType,
    ...(image.artifactMediaType === undefined ? {} : { artifactMediaType: image.artifactMediaType }),
  };
}

export class ImageStore {
  readonly deletedImages: DeletedImage[] = [];
  private readonly firstSeen = new Map<string, Date>();
  private readonly untaggedDigests = new Map<string, Set<string>>();

  constructor(
    private readonly backend: RegistryBackend | undefined,
    private readonly now: () => number,
  ) {}

  get registry(): RegistryBackend {
    if (this.backend === undefined)
      throw new AwsError('ServerException', 'The emulator has no backing registry for this service', 500);
    return this.backend;
  }

  private record(repositoryPath: string, manifest: StoredManifest, tags: string[]): ImageRecord {
    const key = `${repositoryPath}@${manifest.digest}`;
    const pushedAt = this.firstSeen.get(key) ?? new Date(this.now());
    this.firstSeen.set(key, pushedAt);
    const shape = parseManifest(manifest.bytes);
    const referenced = shape.manifests ?? [...(shape.config ? [shape.config] : []), ...(shape.layers ?? [])];
    const record: ImageRecord = {
      ...manifest,
      tags,
      pushedAt,
      sizeInBytes: referenced.reduce((sum, descriptor) => sum + (descriptor.size ?? 0), 0),
    };
    const artifact = shape.artifactType ?? shape.config?.mediaType;
    if (artifact !== undefined) record.artifactMediaType = artifact;
    return record;
  }

  async listImages(repositoryPath: string): Promise<ImageRecord[]> {
    if (this.backend === undefined) return [];
    const byDigest = new Map<string, { manifest: StoredManifest; tags: string[] }>();
    for (const tag of await this.registry.listTags(repositoryPath)) {
      const manifest = await this.registry.getManifest(repositoryPath, tag);
      if (manifest === undefined) continue;
      const entry = byDigest.get(manifest.digest) ?? { manifest, tags: [] };
      entry.tags.push(tag);
      byDigest.set(manifest.digest, entry);
    }
    const extraDigests = new Set(this.untaggedDigests.get(repositoryPath) ?? []);
    const addChildren = (manifest: StoredManifest): void => {
      for (const child of parseManifest(manifest.bytes).manifests ?? []) {
        if (child.digest !== undefined) extraDigests.add(child.digest);
      }
    };
    for (const { manifest } of [...byDigest.values()]) addChildren(manifest);
    // Like ECR, every manifest pushed is an image: an index's children, and a nested index's children too.
    for (const digest of extraDigests) {
      if (byDigest.has(digest)) continue;
      const manifest = await this.registry.getManifest(repositoryPath, digest);
      if (manifest === undefined) continue;
      byDigest.set(digest, { manifest, tags: [] });
      addChildren(manifest);
    }
    return [...byDigest.values()].map(({ manifest, tags }) => this.record(repositoryPath, manifest, tags.sort()));
  }

  /** Finds the image an imageId names; a tag and digest given together must agree. */
  async resolve(repositoryPath: string, imageId: ImageId): Promise<ImageRecord | undefined> {
    const images = await this.listImages(repositoryPath);
    return images.find(
      (image) =>
        (imageId.imageDigest === undefined || image.digest === imageId.imageDigest) &&
        (imageId.imageTag === undefined || image.tags.includes(imageId.imageTag)),
    );
  }

  async tagDigest(repositoryPath: string, tag: string): Promise<string | undefined> {
    return (await this.registry.getManifest(repositoryPath, tag))?.digest;
  }

  /** Writes manifest bytes unchanged; under the tag when given, else by digest. */
  async put(repositoryPath: string, manifest: StoredManifest, tag: string | undefined): Promise<void> {
    await this.registry.putManifest(repositoryPath, tag ?? manifest.digest, manifest.bytes, manifest.mediaType);
    if (tag === undefined) {
      const set = this.untaggedDigests.get(repositoryPath) ?? new Set<string>();
      set.add(manifest.digest);
      this.untaggedDigests.set(repositoryPath, set);
    }
    this.record(repositoryPath, manifest, tag === undefined ? [] : [tag]);
  }

  /** The listed index that references `digest`, if any: ECR refuses to delete such a manifest by digest. */
  async referencingIndex(repositoryPath: string, digest: string): Promise<string | undefined> {
    const images = await this.listImages(repositoryPath);
    const parent = images.find((image) =>
      (parseManifest(image.bytes).manifests ?? []).some((child) => child.digest === digest),
    );
    return parent?.digest;
  }

  /** An image that is gone leaves its platform manifests behind as untagged images, as in ECR. */
  private forget(repositoryPath: string, image: ImageRecord): void {
    const untagged = this.untaggedDigests.get(repositoryPath) ?? new Set<string>();
    untagged.delete(image.digest);
    for (const child of parseManifest(image.bytes).manifests ?? [])
      if (child.digest !== undefined) untagged.add(child.digest);
    this.untaggedDigests.set(repositoryPath, untagged);
  }

  /**
   * As ECR's BatchDeleteImage: a digest id deletes the image and all its tags; a tag id removes only
   * that tag, and the image goes with its last tag. Distribution 2.8 cannot untag, so the emulator
   * deletes the manifest and writes the same bytes back under the other tags (same digest, same blobs).
   */
  async delete(
    repositoryPath: string,
    imageId: ImageId,
  ): Promise<{ imageDigest: string; imageTag?: string } | undefined> {
    const image = await this.resolve(repositoryPath, imageId);
    if (image === undefined) return undefined;
    const at = new Date(this.now());
    if (imageId.imageDigest === undefined && imageId.imageTag !== undefined) {
      const remaining = image.tags.filter((tag) => tag !== imageId.imageTag);
      await this.registry.deleteManifest(repositoryPath, image.digest);
      for (const tag of remaining) await this.registry.putManifest(repositoryPath, tag, image.bytes, image.mediaType);
      if (remaining.length === 0) this.forget(repositoryPath, image);
      this.deletedImages.push({ repositoryPath, imageDigest: image.digest, imageTag: imageId.imageTag, at });
      return { imageDigest: image.digest, imageTag: imageId.imageTag };
    }
    await this.registry.deleteManifest(repositoryPath, image.digest);
    this.forget(repositoryPath, image);
    this.deletedImages.push({
      repositoryPath,
      imageDigest: image.digest,
      ...(imageId.imageTag === undefined ? {} : { imageTag: imageId.imageTag }),
      at,
    });
    return { imageDigest: image.digest, ...(imageId.imageTag === undefined ? {} : { imageTag: imageId.imageTag }) };
  }
}
