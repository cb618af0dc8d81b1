/** Amazon ECR Public, JSON 1.1 (`SpencerFrontendService.<Operation>`), us-east-1 only; images kept in a real registry. */
import { AwsError } from './http.js';
import { ImageStore, describeImageId, imageDetail } from './images.js';
import type { RegistryBackend } from './registry-backend.js';
import {
  FaultQueue,
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

export const ECR_PUBLIC_TARGET_PREFIX = 'SpencerFrontendService.';
export const ECR_PUBLIC_REGION = 'us-east-1';

export interface EcrPublicOptions {
  accountId: string;
  alias: string;
  backend: RegistryBackend | undefined;
  now: () => number;
}

const ARCHITECTURES = ['ARM', 'ARM 64', 'x86', 'x86-64'];
const OPERATING_SYSTEMS = ['Linux', 'Windows'];
const TOKEN_LIFETIME_MS = 12 * 60 * 60 * 1000;

function invalid(parameter: string, constraint: string): AwsError {
  return new AwsError(
    'InvalidParameterException',
    `Invalid parameter at '${parameter}' failed to satisfy constraint: '${constraint}'`,
  );
}

/** Checks catalog data the way ECR Public does and returns what it stores. */
function validateCatalogData(input: Record<string, unknown>): Record<string, unknown> {
  const stored: Record<string, unknown> = {};
  const description = optionalString(input, 'description');
  if (description !== undefined) {
    if (description.length > 1024)
      throw invalid('catalogData.description', 'Member must have length less than or equal to 1024');
    stored.description = description;
  }
  for (const [name, allowed] of [
    ['architectures', ARCHITECTURES],
    ['operatingSystems', OPERATING_SYSTEMS],
  ] as const) {
    const values = input[name];
    if (values === undefined || values === null) continue;
    if (!Array.isArray(values) || values.length > 50)
      throw invalid(`catalogData.${name}`, 'Member must be a list of at most 50 items');
    for (const value of values) {
      if (typeof value !== 'string' || !allowed.includes(value))
        throw invalid(`catalogData.${name}`, `'${String(value)}' is not one of ${allowed.join(', ')}`);
    }
    stored[name] = values;
  }
  for (const name of ['aboutText', 'usageText']) {
    const text = optionalString(input, name);
    if (text === undefined) continue;
    if (text.length > 10240)
      throw invalid(`catalogData.${name}`, 'Member must have length less than or equal to 10240');
    stored[name] = text;
  }
  if (optionalString(input, 'logoImageBlob') !== undefined)
    stored.logoUrl = 'https://d2c5pxvrjjnmhm.cloudfront.net/logo.png';
  return stored;
}

export class EcrPublicEmulator {
  readonly repositories = new Map<string, EmulatedRepository>();
  readonly images: ImageStore;
  private readonly faults = new FaultQueue();
  private readonly hooks: { operation: string; hook: () => Promise<void> }[] = [];

  constructor(private readonly options: EcrPublicOptions) {
    this.images = new ImageStore(options.backend, options.now);
  }

  get registryHost(): string {
    return this.options.backend?.config.host ?? 'public.ecr.aws';
  }

  get deletedImages(): ImageStore['deletedImages'] {
    return this.images.deletedImages;
  }

  failNext(faults: OperationFault[]): void {
    this.faults.push(faults);
  }

  /** Runs `hook` once, when the next call of `operation` has been authorized and before it executes (to stage races). */
  beforeNext(operation: string, hook: () => Promise<void>): void {
    this.hooks.push({ operation, hook });
  }

  private async runHook(operation: string): Promise<void> {
    const index = this.hooks.findIndex((entry) => entry.operation === operation);
    if (index < 0) return;
    const [entry] = this.hooks.splice(index, 1);
    await entry?.hook();
  }

  repositoryArn(name: string): string {
    return `arn:aws:ecr-public::${this.options.accountId}:repository/${name}`;
  }

  addRepository(name: string, catalogData: Record<string, unknown> = {}): EmulatedRepository {
    validateRepositoryName(name);
    const path = `${this.options.alias}/${name}`;
    const repository: EmulatedRepository = {
      name,
      arn: this.repositoryArn(name),
      uri: `${this.registryHost}/${path}`,
      registryPath: path,
      createdAt: new Date(this.options.now()),
      tags: [],
      catalogData: validateCatalogData(catalogData),
    };
    this.repositories.set(name, repository);
    return repository;
  }

  private repository(params: Record<string, unknown>, authorize: Authorize, action: string): EmulatedRepository {
    const name = requiredString(params, 'repositoryName');
    authorize(action, this.repositoryArn(name));
    const repository = this.repositories.get(name);
    if (repository === undefined) {
      throw new AwsError(
        'RepositoryNotFoundException',
        `The repository with name '${name}' does not exist in the registry with id '${this.options.accountId}'`,
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
    };
  }

  async handle(operation: string, params: Record<string, unknown>, authorize: Authorize): Promise<unknown> {
    const registryId = this.options.accountId;
    switch (operation) {
      case 'GetAuthorizationToken': {
        authorize('ecr-public:GetAuthorizationToken', '*');
        // ECR Public hands out an STS service bearer token, so that permission is needed too.
        authorize('sts:GetServiceBearerToken', '*');
        this.faults.take(operation);
        const backend = this.options.backend?.config;
        const token = Buffer.from(
          `${backend?.username ?? 'AWS'}:${backend?.password ?? 'no-backing-registry'}`,
        ).toString('base64');
        return {
          authorizationData: { authorizationToken: token, expiresAt: new Date(this.options.now() + TOKEN_LIFETIME_MS) },
        };
      }
      case 'DescribeRegistries': {
        authorize('ecr-public:DescribeRegistries', '*');
        this.faults.take(operation);
        return {
          registries: [
            {
              registryId,
              registryArn: `arn:aws:ecr-public::${registryId}:registry/${registryId}`,
              registryUri: `${this.registryHost}/${this.options.alias}`,
              verified: false,
              aliases: [
                { name: this.options.alias, status: 'ACTIVE', primaryRegistryAlias: true, defaultRegistryAlias: true },
              ],
            },
          ],
        };
      }
      case 'DescribeRepositories': {
        const names = params.repositoryNames;
        if (Array.isArray(names) && names.length > 0) {
          const found = names.map((name: unknown) =>
            this.repository({ repositoryName: name }, authorize, 'ecr-public:DescribeRepositories'),
          );
          this.faults.take(operation);
          return { repositories: found.map((repository) => this.describeRepository(repository)) };
        }
        authorize('ecr-public:DescribeRepositories', this.repositoryArn('*'));
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
        authorize('ecr-public:CreateRepository', this.repositoryArn(name));
        const tags = (params.tags ?? []) as { Key: string; Value: string }[];
        if (tags.length > 0) authorize('ecr-public:TagResource', this.repositoryArn(name));
        this.faults.take(operation);
        validateRepositoryName(name);
        if (this.repositories.has(name)) {
          throw new AwsError(
            'RepositoryAlreadyExistsException',
            `The repository with name '${name}' already exists in the registry with id '${registryId}'`,
          );
        }
        const repository = this.addRepository(name, optionalObject(params, 'catalogData') ?? {});
        repository.tags = tags;
        return { repository: this.describeRepository(repository), catalogData: repository.catalogData };
      }
      case 'PutRepositoryCatalogData': {
        const repository = this.repository(params, authorize, 'ecr-public:PutRepositoryCatalogData');
        this.faults.take(operation);
        repository.catalogData = validateCatalogData(optionalObject(params, 'catalogData') ?? {});
        return { catalogData: repository.catalogData };
      }
      case 'GetRepositoryCatalogData': {
        const repository = this.repository(params, authorize, 'ecr-public:GetRepositoryCatalogData');
        this.faults.take(operation);
        return { catalogData: repository.catalogData ?? {} };
      }
      case 'SetRepositoryPolicy': {
        const repository = this.repository(params, authorize, 'ecr-public:SetRepositoryPolicy');
        this.faults.take(operation);
        const text = requiredString(params, 'policyText');
        validatePolicyJson(text, 'repository', 'policyText');
        repository.policyText = text;
        return { registryId, repositoryName: repository.name, policyText: text };
      }
      case 'GetRepositoryPolicy': {
        const repository = this.repository(params, authorize, 'ecr-public:GetRepositoryPolicy');
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
        const repository = this.repository(params, authorize, 'ecr-public:DescribeImages');
        this.faults.take(operation);
        let images = await this.images.listImages(repository.registryPath);
        const ids = imageIds(params);
        if (ids !== undefined && ids.length > 0) {
          images = ids.map((id) => {
            const image = images.find(
              (candidate) =>
                (id.imageDigest === undefined || candidate.digest === id.imageDigest) &&
                (id.imageTag === undefined || candidate.tags.includes(id.imageTag)),
            );
            if (image === undefined) {
              throw new AwsError(
                'ImageNotFoundException',
                `The image with imageId ${describeImageId(id)} does not exist within the repository with name '${repository.name}' in the registry with id '${registryId}'`,
              );
            }
            return image;
          });
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
      case 'DescribeImageTags': {
        const repository = this.repository(params, authorize, 'ecr-public:DescribeImageTags');
        this.faults.take(operation);
        const images = await this.images.listImages(repository.registryPath);
        const details = images.flatMap((image) =>
          image.tags.map((tag) => ({
            imageTag: tag,
            createdAt: image.pushedAt,
            imageDetail: {
              imageDigest: image.digest,
              imageSizeInBytes: image.sizeInBytes,
              imagePushedAt: image.pushedAt,
              imageManifestMediaType: image.mediaType,
              ...(image.artifactMediaType === undefined ? {} : { artifactMediaType: image.artifactMediaType }),
            },
          })),
        );
        details.sort((a, b) => a.imageTag.localeCompare(b.imageTag));
        const { page, nextToken } = paginate(
          details,
          optionalNumber(params, 'maxResults'),
          optionalString(params, 'nextToken'),
        );
        return { imageTagDetails: page, ...(nextToken === undefined ? {} : { nextToken }) };
      }
      case 'BatchDeleteImage': {
        const repository = this.repository(params, authorize, 'ecr-public:BatchDeleteImage');
        this.faults.take(operation);
        await this.runHook(operation);
        const deleted: unknown[] = [];
        const failures: unknown[] = [];
        for (const id of imageIds(params) ?? []) {
          const parent =
            id.imageTag === undefined && id.imageDigest !== undefined
              ? await this.images.referencingIndex(repository.registryPath, id.imageDigest)
              : undefined;
          if (parent !== undefined) {
            failures.push({
              imageId: id,
              failureCode: 'ImageReferencedByManifestList',
              failureReason: `Requested image is referenced by manifest list ${parent}`,
            });
            continue;
          }
          const result = await this.images.delete(repository.registryPath, id);
          if (result === undefined)
            failures.push({ imageId: id, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' });
          else deleted.push(result);
        }
        return { imageIds: deleted, failures };
      }
      default:
        throw new AwsError('UnsupportedCommandException', `Operation ${operation} is not supported by the emulator`);
    }
  }
}
