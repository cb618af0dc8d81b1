/** Private Amazon ECR, JSON 1.1 (`AmazonEC2ContainerRegistry_V20150921.<Operation>`), images kept in a real registry. */
import { createHash } from 'node:crypto';
import { AwsError } from './http.js';
import { ImageStore, describeImageId, imageDetail, type ImageId, type ImageRecord } from './images.js';
import { RegistryRequestError, type RegistryBackend } from './registry-backend.js';
import {
  FaultQueue,
  imageId,
  imageIds,
  optionalNumber,
  optionalObject,
  optionalString,
  paginate,
  requiredString,
  validatePolicyJson,
  validateRepositoryName,
  type Authorize,
  type EmulatedRepository,
  type OperationFault,
} from './repositories.js';
import { ScanEmulator, type ScanSnapshot, type ScanningConfiguration } from './scan.js';
import {
  immutableTagMessage,
  readTagMutability,
  tagIsImmutable,
  type ExclusionFilter,
  type TagMutability,
} from './tag-mutability.js';

export const ECR_TARGET_PREFIX = 'AmazonEC2ContainerRegistry_V20150921.';

export interface EcrOptions {
  accountId: string;
  region: string;
  backend: RegistryBackend | undefined;
  now: () => number;
}

export interface RepositorySettings {
  imageTagMutability?: TagMutability;
  /** WILDCARD filters, e.g. `latest`, for the *_WITH_EXCLUSION settings. */
  exclusions?: string[];
  scanOnPush?: boolean;
  encryptionType?: string;
  kmsKey?: string;
  lifecyclePolicyText?: string;
  policyText?: string;
}

const ALL_MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
];
const INDEX_TYPES = ALL_MANIFEST_TYPES.slice(0, 2);

const TAG_PATTERN = /^[\w][\w.-]{0,299}$/;
const TOKEN_LIFETIME_MS = 12 * 60 * 60 * 1000;

export class EcrEmulator {
  readonly repositories = new Map<string, EmulatedRepository>();
  readonly scan: ScanEmulator;
  readonly images: ImageStore;
  private readonly faults = new FaultQueue();
  private advertisedHost: string | undefined;

  constructor(private readonly options: EcrOptions) {
    this.scan = new ScanEmulator(options.accountId, options.region, options.now);
    this.images = new ImageStore(options.backend, options.now);
  }

  get registryHost(): string {
    return (
      this.advertisedHost ??
      this.options.backend?.config.host ??
      `${this.options.accountId}.dkr.ecr.${this.options.region}.amazonaws.com`
    );
  }

  /** Names a front of the backing registry (see registry-front.ts) in repository URIs and logins from now on. */
  serveRegistryAt(host: string): void {
    this.advertisedHost = host;
  }

  get deletedImages(): ImageStore['deletedImages'] {
    return this.images.deletedImages;
  }

  /** The next matching calls fail with these errors (after authorization, before any effect). */
  failNext(faults: OperationFault[]): void {
    this.faults.push(faults);
  }

  setScanning(configuration: ScanningConfiguration): void {
    this.scan.setScanning(configuration);
  }

  scriptScan(repositoryName: string, digest: string, snapshots: ScanSnapshot[]): void {
    this.scan.scriptScan(repositoryName, digest, snapshots);
  }

  scriptRepositoryScan(repositoryName: string, snapshot: ScanSnapshot): void {
    this.scan.scriptRepositoryScan(repositoryName, snapshot);
  }

  repositoryArn(name: string, registryId = this.options.accountId): string {
    return `arn:aws:ecr:${this.options.region}:${registryId}:repository/${name}`;
  }

  /** Creates a repository directly, as if it existed before the test. */
  addRepository(name: string, settings: RepositorySettings = {}): EmulatedRepository {
    validateRepositoryName(name);
    const repository: EmulatedRepository = {
      name,
      arn: this.repositoryArn(name),
      uri: `${this.registryHost}/${name}`,
      registryPath: name,
      createdAt: new Date(this.options.now()),
      tags: [],
      ...readTagMutability({
        imageTagMutability: settings.imageTagMutability,
        imageTagMutabilityExclusionFilters: settings.exclusions?.map((filter): ExclusionFilter => ({
          filterType: 'WILDCARD',
          filter,
        })),
      }),
      scanOnPush: settings.scanOnPush ?? false,
      encryption: {
        encryptionType: settings.encryptionType ?? 'AES256',
        ...(settings.kmsKey === undefined ? {} : { kmsKey: settings.kmsKey }),
      },
    };
    if (settings.lifecyclePolicyText !== undefined) repository.lifecyclePolicyText = settings.lifecyclePolicyText;
    if (settings.policyText !== undefined) repository.policyText = settings.policyText;
    this.repositories.set(name, repository);
    return repository;
  }

  private registryId(params: Record<string, unknown>): string {
    return optionalString(params, 'registryId') ?? this.options.accountId;
  }

  private repository(params: Record<string, unknown>, authorize: Authorize, action: string): EmulatedRepository {
    const name = requiredString(params, 'repositoryName');
    const registryId = this.registryId(params);
    authorize(action, this.repositoryArn(name, registryId));
    const repository = registryId === this.options.accountId ? this.repositories.get(name) : undefined;
    if (repository === undefined) {
      throw new AwsError(
        'RepositoryNotFoundException',
        `The repository with name '${name}' does not exist in the registry with id '${registryId}'`,
      );
    }
    return repository;
  }

  private describeRepository(repository: EmulatedRepository): Record<string, unknown> {
    return {
      repositoryArn: repository.arn,
      registryId: this.options.accountId,
      repositoryName: repository.name,
      repositoryUri: repository.uri,
      createdAt: repository.createdAt,
      imageTagMutability: repository.imageTagMutability,
      ...(repository.imageTagMutabilityExclusionFilters === undefined
        ? {}
        : { imageTagMutabilityExclusionFilters: repository.imageTagMutabilityExclusionFilters }),
      imageScanningConfiguration: { scanOnPush: repository.scanOnPush },
      encryptionConfiguration: repository.encryption,
    };
  }

  private imageNotFound(repository: EmulatedRepository, id: ImageId): AwsError {
    return new AwsError(
      'ImageNotFoundException',
      `The image with imageId ${describeImageId(id)} does not exist within the repository with name '${repository.name}' in the registry with id '${this.options.accountId}'`,
    );
  }

  async handle(operation: string, params: Record<string, unknown>, authorize: Authorize): Promise<unknown> {
    const registryId = this.options.accountId;
    switch (operation) {
      case 'GetAuthorizationToken': {
        authorize('ecr:GetAuthorizationToken', '*');
        this.faults.take(operation);
        const backend = this.options.backend?.config;
        const token = Buffer.from(
          `${backend?.username ?? 'AWS'}:${backend?.password ?? 'no-backing-registry'}`,
        ).toString('base64');
        return {
          authorizationData: [
            {
              authorizationToken: token,
              expiresAt: new Date(this.options.now() + TOKEN_LIFETIME_MS),
              proxyEndpoint: `http://${this.registryHost}`,
            },
          ],
        };
      }
      case 'GetRegistryScanningConfiguration': {
        authorize('ecr:GetRegistryScanningConfiguration', '*');
        this.faults.take(operation);
        return { registryId, scanningConfiguration: this.scan.configuration };
      }
      case 'DescribeRepositories': {
        const names = params.repositoryNames;
        const requestedRegistry = this.registryId(params);
        if (Array.isArray(names) && names.length > 0) {
          const found = names.map((name: unknown) => {
            if (typeof name !== 'string')
              throw new AwsError('SerializationException', 'repositoryNames must be strings');
            authorize('ecr:DescribeRepositories', this.repositoryArn(name, requestedRegistry));
            const repository = requestedRegistry === registryId ? this.repositories.get(name) : undefined;
            if (repository === undefined) {
              throw new AwsError(
                'RepositoryNotFoundException',
                `The repository with name '${name}' does not exist in the registry with id '${requestedRegistry}'`,
              );
            }
            return repository;
          });
          this.faults.take(operation);
          return { repositories: found.map((repository) => this.describeRepository(repository)) };
        }
        authorize('ecr:DescribeRepositories', this.repositoryArn('*', requestedRegistry));
        this.faults.take(operation);
        const all = [...this.repositories.values()].sort((a, b) => a.name.localeCompare(b.name));
        const { page, nextToken } = paginate(
          all,
          optionalNumber(params, 'maxResults'),
          optionalString(params, 'nextToken'),
        );
        return {
          repositories: page.map((repository) => this.describeRepository(repository)),
          ...(nextToken === undefined ? {} : { nextToken }),
        };
      }
      case 'CreateRepository': {
        const name = requiredString(params, 'repositoryName');
        const arn = this.repositoryArn(name, this.registryId(params));
        authorize('ecr:CreateRepository', arn);
        const tags = (params.tags ?? []) as { Key: string; Value: string }[];
        // Tagging on create is authorized as a separate action, as in IAM.
        if (tags.length > 0) authorize('ecr:TagResource', arn);
        this.faults.take(operation);
        validateRepositoryName(name);
        if (this.repositories.has(name)) {
          throw new AwsError(
            'RepositoryAlreadyExistsException',
            `The repository with name '${name}' already exists in the registry with id '${registryId}'`,
          );
        }
        const mutability = readTagMutability(params);
        const encryption = optionalObject(params, 'encryptionConfiguration') ?? {};
        const encryptionType = optionalString(encryption, 'encryptionType') ?? 'AES256';
        const kmsKey = optionalString(encryption, 'kmsKey');
        if (!['AES256', 'KMS', 'KMS_DSSE'].includes(encryptionType)) {
          throw new AwsError(
            'ValidationException',
            `1 validation error detected: Value '${encryptionType}' at 'encryptionConfiguration.encryptionType' failed to satisfy constraint: Member must satisfy enum value set: [AES256, KMS, KMS_DSSE]`,
          );
        }
        if (encryptionType === 'AES256' && kmsKey !== undefined) {
          throw new AwsError(
            'InvalidParameterException',
            "Invalid parameter at 'encryptionConfiguration' failed to satisfy constraint: 'kmsKey can only be specified when encryptionType is KMS'",
          );
        }
        const scanning = optionalObject(params, 'imageScanningConfiguration') ?? {};
        const repository: EmulatedRepository = {
          name,
          arn,
          uri: `${this.registryHost}/${name}`,
          registryPath: name,
          createdAt: new Date(this.options.now()),
          tags,
          ...mutability,
          scanOnPush: scanning.scanOnPush === true,
          encryption: { encryptionType, ...(kmsKey === undefined ? {} : { kmsKey }) },
        };
        this.repositories.set(name, repository);
        return { repository: this.describeRepository(repository) };
      }
      case 'PutLifecyclePolicy':
      case 'SetRepositoryPolicy': {
        const lifecycle = operation === 'PutLifecyclePolicy';
        const repository = this.repository(params, authorize, `ecr:${operation}`);
        this.faults.take(operation);
        const parameter = lifecycle ? 'lifecyclePolicyText' : 'policyText';
        const text = requiredString(params, parameter);
        validatePolicyJson(text, lifecycle ? 'lifecycle' : 'repository', parameter);
        if (lifecycle) repository.lifecyclePolicyText = text;
        else repository.policyText = text;
        return { registryId, repositoryName: repository.name, [parameter]: text };
      }
      case 'GetLifecyclePolicy': {
        const repository = this.repository(params, authorize, 'ecr:GetLifecyclePolicy');
        this.faults.take(operation);
        if (repository.lifecyclePolicyText === undefined) {
          throw new AwsError(
            'LifecyclePolicyNotFoundException',
            `Lifecycle policy does not exist for the repository with name '${repository.name}' in the registry with id '${registryId}'`,
          );
        }
        return {
          registryId,
          repositoryName: repository.name,
          lifecyclePolicyText: repository.lifecyclePolicyText,
          lastEvaluatedAt: new Date(0),
        };
      }
      case 'GetRepositoryPolicy': {
        const repository = this.repository(params, authorize, 'ecr:GetRepositoryPolicy');
        this.faults.take(operation);
        if (repository.policyText === undefined) {
          throw new AwsError(
            'RepositoryPolicyNotFoundException',
            `Repository policy does not exist for the repository with name '${repository.name}' in the registry with id '${registryId}'`,
          );
        }
        return { registryId, repositoryName: repository.name, policyText: repository.policyText };
      }
      case 'DescribeImages': {
        const repository = this.repository(params, authorize, 'ecr:DescribeImages');
        this.faults.take(operation);
        const ids = imageIds(params);
        let images = await this.images.listImages(repository.registryPath);
        if (ids !== undefined && ids.length > 0) {
          images = ids.map((id) => {
            const image = images.find(
              (candidate) =>
                (id.imageDigest === undefined || candidate.digest === id.imageDigest) &&
                (id.imageTag === undefined || candidate.tags.includes(id.imageTag)),
            );
            if (image === undefined) throw this.imageNotFound(repository, id);
            return image;
          });
        } else {
          images = filterByTagStatus(images, optionalObject(params, 'filter'));
        }
        const { page, nextToken } = paginate(
          images,
          optionalNumber(params, 'maxResults'),
          optionalString(params, 'nextToken'),
        );
        return {
          imageDetails: page.map((image) => imageDetail(this.options.accountId, repository.name, image)),
          ...(nextToken === undefined ? {} : { nextToken }),
        };
      }
      case 'ListImages': {
        const repository = this.repository(params, authorize, 'ecr:ListImages');
        this.faults.take(operation);
        const images = filterByTagStatus(
          await this.images.listImages(repository.registryPath),
          optionalObject(params, 'filter'),
        );
        const ids = images.flatMap((image) =>
          image.tags.length === 0
            ? [{ imageDigest: image.digest }]
            : image.tags.map((tag) => ({ imageDigest: image.digest, imageTag: tag })),
        );
        const { page, nextToken } = paginate(
          ids,
          optionalNumber(params, 'maxResults'),
          optionalString(params, 'nextToken'),
          1000,
        );
        return { imageIds: page, ...(nextToken === undefined ? {} : { nextToken }) };
      }
      case 'BatchGetImage': {
        const repository = this.repository(params, authorize, 'ecr:BatchGetImage');
        this.faults.take(operation);
        // Real ECR defaults to Docker schema 1 here; the emulator never converts, so it accepts every modern type.
        const accepted = Array.isArray(params.acceptedMediaTypes)
          ? (params.acceptedMediaTypes as string[])
          : ALL_MANIFEST_TYPES;
        const images: unknown[] = [];
        const failures: unknown[] = [];
        for (const id of imageIds(params) ?? []) {
          const image = await this.images.resolve(repository.registryPath, id);
          if (image === undefined) {
            failures.push({ imageId: id, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' });
          } else if (!accepted.includes(image.mediaType)) {
            failures.push({
              imageId: id,
              failureCode: 'UnsupportedImageType',
              failureReason: `Image manifest media type ${image.mediaType} is not in acceptedMediaTypes`,
            });
          } else {
            images.push({
              registryId,
              repositoryName: repository.name,
              imageId: { imageDigest: image.digest, ...(id.imageTag === undefined ? {} : { imageTag: id.imageTag }) },
              imageManifest: image.bytes.toString('utf8'),
              imageManifestMediaType: image.mediaType,
            });
          }
        }
        return { images, failures };
      }
      case 'PutImage': {
        const repository = this.repository(params, authorize, 'ecr:PutImage');
        this.faults.take(operation);
        return this.putImage(repository, params);
      }
      case 'BatchDeleteImage': {
        const repository = this.repository(params, authorize, 'ecr:BatchDeleteImage');
        this.faults.take(operation);
        const deleted: unknown[] = [];
        const failures: unknown[] = [];
        for (const id of imageIds(params) ?? []) {
          const result = await this.images.delete(repository.registryPath, id);
          if (result === undefined)
            failures.push({ imageId: id, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' });
          else deleted.push(result);
        }
        return { imageIds: deleted, failures };
      }
      case 'DescribeImageScanFindings': {
        const repository = this.repository(params, authorize, 'ecr:DescribeImageScanFindings');
        this.faults.take(operation);
        const id = imageId(params.imageId);
        const { digest, mediaType } = await this.scannedImage(repository, id);
        // ECR scans image manifests only: an index never has a scan.
        const covered =
          !INDEX_TYPES.includes(mediaType ?? '') && this.scan.covers(repository.name, repository.scanOnPush === true);
        const result = this.scan.describe(
          repository.name,
          digest,
          covered,
          optionalNumber(params, 'maxResults'),
          optionalString(params, 'nextToken'),
        );
        return {
          registryId,
          repositoryName: repository.name,
          imageId: { imageDigest: digest, ...(id.imageTag === undefined ? {} : { imageTag: id.imageTag }) },
          ...result,
        };
      }
      case 'StartImageScan': {
        const repository = this.repository(params, authorize, 'ecr:StartImageScan');
        this.faults.take(operation);
        const id = imageId(params.imageId);
        const { digest, mediaType } = await this.scannedImage(repository, id);
        if (mediaType !== undefined && INDEX_TYPES.includes(mediaType)) {
          throw new AwsError(
            'UnsupportedImageTypeException',
            `An artifact with media type '${mediaType}' cannot be scanned. For more information, see the Amazon ECR documentation.`,
          );
        }
        this.scan.startImageScan(repository.name, digest);
        return {
          registryId,
          repositoryName: repository.name,
          imageId: { imageDigest: digest, ...(id.imageTag === undefined ? {} : { imageTag: id.imageTag }) },
          imageScanStatus: { status: 'IN_PROGRESS', description: 'Scan in progress.' },
        };
      }
      default:
        throw new AwsError('UnknownOperationException', `Operation ${operation} is not supported by the emulator`);
    }
  }

  /** The image an imageId names; a scripted digest needs no image in the registry (its media type is then unknown). */
  private async scannedImage(
    repository: EmulatedRepository,
    id: ImageId,
  ): Promise<{ digest: string; mediaType?: string }> {
    if (
      id.imageDigest !== undefined &&
      id.imageTag === undefined &&
      this.scan.hasScript(repository.name, id.imageDigest)
    )
      return { digest: id.imageDigest };
    const image =
      this.options.backend === undefined ? undefined : await this.images.resolve(repository.registryPath, id);
    if (image === undefined) throw this.imageNotFound(repository, id);
    return { digest: image.digest, mediaType: image.mediaType };
  }

  private async putImage(repository: EmulatedRepository, params: Record<string, unknown>): Promise<unknown> {
    const registryId = this.options.accountId;
    const text = requiredString(params, 'imageManifest');
    const bytes = Buffer.from(text, 'utf8');
    const digest = `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
    const givenDigest = optionalString(params, 'imageDigest');
    if (givenDigest !== undefined && givenDigest !== digest) {
      throw new AwsError(
        'ImageDigestDoesNotMatchException',
        `Provided image digest '${givenDigest}' does not match the calculated digest '${digest}'`,
      );
    }
    let declared: string | undefined;
    try {
      declared = (JSON.parse(text) as { mediaType?: string }).mediaType;
    } catch {
      throw new AwsError(
        'InvalidParameterException',
        "Invalid parameter at 'ImageManifest' failed to satisfy constraint: 'Invalid JSON syntax'",
      );
    }
    const mediaType = optionalString(params, 'imageManifestMediaType') ?? declared;
    if (
      mediaType === undefined ||
      !ALL_MANIFEST_TYPES.includes(mediaType) ||
      (declared !== undefined && declared !== mediaType)
    ) {
      throw new AwsError(
        'InvalidParameterException',
        `Invalid parameter at 'imageManifestMediaType' failed to satisfy constraint: 'Manifest media type ${mediaType ?? '(none)'} is missing, unsupported or does not match the manifest'`,
      );
    }
    const tag = optionalString(params, 'imageTag');
    if (tag !== undefined && !TAG_PATTERN.test(tag)) {
      throw new AwsError(
        'InvalidParameterException',
        `Invalid parameter at 'imageTag' failed to satisfy constraint: 'Invalid tag ${tag}'`,
      );
    }
    if (tag !== undefined) {
      const current = await this.images.tagDigest(repository.registryPath, tag);
      if (current === digest) {
        throw new AwsError(
          'ImageAlreadyExistsException',
          `Image with digest '${digest}' and tag '${tag}' already exists in the repository with name '${repository.name}' in registry with id '${registryId}'`,
        );
      }
      if (current !== undefined && tagIsImmutable(repository, tag))
        throw new AwsError('ImageTagAlreadyExistsException', immutableTagMessage(tag, repository.name));
    } else if ((await this.images.registry.getManifest(repository.registryPath, digest)) !== undefined) {
      throw new AwsError(
        'ImageAlreadyExistsException',
        `Image with digest '${digest}' already exists in the repository with name '${repository.name}' in registry with id '${registryId}'`,
      );
    }
    try {
      await this.images.put(repository.registryPath, { bytes, digest, mediaType }, tag);
    } catch (error) {
      if (!(error instanceof RegistryRequestError)) throw error;
      if (error.registryCode === 'MANIFEST_BLOB_UNKNOWN' || error.registryCode === 'BLOB_UNKNOWN') {
        throw new AwsError(
          'LayersNotFoundException',
          `Layers required for pushing image into repository with name '${repository.name}' in the registry with id '${registryId}' do not exist. ${error.message}`,
        );
      }
      if (error.registryCode === 'MANIFEST_UNKNOWN') {
        throw new AwsError(
          'ReferencedImagesNotFoundException',
          `Manifests referenced by the image do not exist in the repository with name '${repository.name}'. ${error.message}`,
        );
      }
      throw new AwsError(
        'InvalidParameterException',
        `Invalid parameter at 'imageManifest' failed to satisfy constraint: '${error.message}'`,
      );
    }
    return {
      image: {
        registryId,
        repositoryName: repository.name,
        imageId: { imageDigest: digest, ...(tag === undefined ? {} : { imageTag: tag }) },
        imageManifest: text,
        imageManifestMediaType: mediaType,
      },
    };
  }
}

export function filterByTagStatus(images: ImageRecord[], filter: Record<string, unknown> | undefined): ImageRecord[] {
  const status = filter === undefined ? undefined : optionalString(filter, 'tagStatus');
  if (status === 'TAGGED') return images.filter((image) => image.tags.length > 0);
  if (status === 'UNTAGGED') return images.filter((image) => image.tags.length === 0);
  return images;
}
