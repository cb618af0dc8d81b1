/** Retention step (ECR Public, `public-retention`): keep the newest N versions per repository, and what kept builders need (run images, lifecycle). */
import { ECRPUBLICClient } from '@aws-sdk/client-ecr-public';
import type { Inputs } from '../inputs.js';
import { ensurePublicRepository, getPublicRegistryCredentials, publicClientConfig } from '../aws/ecr-public.js';
import { applyRetention } from '../aws/retention/apply.js';
import { listPublicImagesIfExists } from '../aws/retention/ecr-public.js';
import { indexDigestsOf, planRetention, type RepositoryImage, type RetentionPlan } from '../aws/retention/plan.js';
import { indexChildDigests } from '../oci/media-types.js';
import { connectRegistry, type RegistryClient } from '../oci/registry.js';
import { LIFECYCLE_REPOSITORY } from '../plan/naming.js';
import type { PlanEntry } from '../plan/plan.js';
import { decideTags } from '../plan/tags.js';
import type { Logger } from '../runtime.js';
import { awsCredentials, registryTransport, splitRepositoryUri, type Destination } from './connections.js';
import type { RunContext } from './context.js';
import type { PublishedImage, PublishEnvironment, RetentionReport } from './report.js';
import { pinBuilderRunImages, RetentionPins, type ImageReader } from './retention-pins.js';

interface RetentionOptions {
  keep: number;
  dryRun: boolean;
  logger: Logger;
  /** Digests never to delete, with the reason. */
  pinned: ReadonlyMap<string, string>;
  /** Tags whose image is never deleted, with the reason. */
  pinnedTags?: ReadonlyMap<string, string>;
  readManifest: (digest: string) => Promise<Uint8Array>;
  /** Dry run: the repository as this run would leave it, before retention. */
  simulate?: (images: RepositoryImage[]) => RepositoryImage[];
  /** Called with the plan before anything is deleted; a throw stops this repository's retention. */
  onPlan?: (plan: RetentionPlan) => Promise<void>;
}

export function retentionWanted(inputs: Inputs): boolean {
  return inputs.registryType === 'public' && inputs.publicRetention > 0;
}

function readerOf(destination: Destination): ImageReader {
  return {
    manifest: (digest) => destination.client.getManifest(destination.path, digest, digest),
    blob: async (descriptor) => {
      const chunks: Buffer[] = [];
      for await (const chunk of await destination.client.getBlob(destination.path, descriptor))
        chunks.push(chunk as Buffer);
      return Buffer.concat(chunks);
    },
  };
}

/** The kept images of a builder repository worth reading: tagged, and not signatures or attestations. */
function keptTagged(plan: RetentionPlan): string[] {
  return plan.keep
    .filter((entry) => entry.tags.some((tag) => !tag.startsWith('sha256-')))
    .map((entry) => entry.imageDigest);
}

/**
 * After publishing: every repository of the plan, with the images this run published pinned.
 * A kept builder's run image must outlive it, so builder repositories (by this run's published kinds) go
 * first and pin every run image and mirror that their kept builders' labels name (read from each
 * platform's config), plus the mirrors this run's builders were given. Builders that live in
 * repositories this run did not publish to are not read. When a builder repository's kept builders
 * cannot be read, the other repositories are left alone: what they need is unknown.
 */
export async function applyPublicRetention(
  images: readonly PublishedImage[],
  run: RunContext,
): Promise<RetentionReport[]> {
  const names = [...new Set(run.plan.entries.map((entry) => entry.repository))];
  const builders = new Set(images.filter((image) => image.kind === 'builder').map((image) => image.repositoryName));
  const pins = new RetentionPins(
    new Map(names.map((name) => [run.connections.destination(name).repository.repositoryUri, name])),
  );
  for (const image of images) {
    for (const { copy } of image.mirror?.runImages ?? [])
      pins.add(copy, `run-image mirror of builder ${image.repositoryName}, published by this run`);
  }
  // `lifecycle-image` copies live in one repository; a kept builder's lifecycle version must stay.
  const lifecycleName = run.inputs.repositoryPrefix + LIFECYCLE_REPOSITORY;
  const lifecycleUri = names.includes(lifecycleName)
    ? run.connections.destination(lifecycleName).repository.repositoryUri
    : undefined;
  const unreadBuilders: string[] = [];
  const reports = new Map<string, RetentionReport>();
  for (const repositoryName of [...names].sort((a, b) => Number(builders.has(b)) - Number(builders.has(a)))) {
    const isBuilder = builders.has(repositoryName);
    if (!isBuilder && unreadBuilders.length > 0) {
      const error = `the run images that kept builders in ${unreadBuilders.join(', ')} name are unknown`;
      run.runtime.logger.warning(`public-retention: ${repositoryName} was not cleaned up: ${error}`);
      reports.set(repositoryName, emptyReport(repositoryName, false, run.inputs.publicRetention, error));
      continue;
    }
    const destination = run.connections.destination(repositoryName);
    const published = images.filter((image) => image.repositoryName === repositoryName);
    const repositoryPins = pins.of(repositoryName);
    const report = await retainNewest(run.connections.ecrPublic, repositoryName, {
      keep: run.inputs.publicRetention,
      dryRun: false,
      logger: run.runtime.logger,
      pinned: new Map([
        ...repositoryPins.digests,
        ...published.map((image) => [image.digest, 'published by this run'] as const),
      ]),
      pinnedTags: repositoryPins.tags,
      readManifest: async (digest) => (await destination.client.getManifest(destination.path, digest, digest)).bytes,
      ...(isBuilder
        ? {
            onPlan: (plan) =>
              pinBuilderRunImages(readerOf(destination), repositoryName, keptTagged(plan), pins, lifecycleUri),
          }
        : {}),
    });
    if (isBuilder && report.error !== undefined) unreadBuilders.push(repositoryName);
    reports.set(repositoryName, report);
  }
  return names.map((name) => reports.get(name)!);
}

function emptyReport(repository: string, dryRun: boolean, keep: number, error?: string): RetentionReport {
  return {
    repository,
    dryRun,
    keep,
    keptVersions: [],
    droppedVersions: [],
    deleted: [],
    failures: [],
    skipped: [],
    ...(error === undefined ? {} : { error }),
  };
}

/** Retention of one repository; a failure is reported and warned about, the images stay published. */
async function retainNewest(
  ecrPublic: ECRPUBLICClient,
  repositoryName: string,
  options: RetentionOptions,
): Promise<RetentionReport> {
  const { keep, dryRun, logger } = options;
  const report = emptyReport(repositoryName, dryRun, keep);
  try {
    const listed = await listPublicImagesIfExists(ecrPublic, repositoryName);
    if (listed === undefined) {
      logger.info(`public-retention: ${repositoryName} does not exist yet; nothing to delete.`);
      return report;
    }
    const images = options.simulate === undefined ? listed : options.simulate(listed);
    const childDigests = new Map<string, string[]>();
    for (const digest of indexDigestsOf(images))
      childDigests.set(digest, indexChildDigests(await options.readManifest(digest)));
    const plan = planRetention({
      images,
      childDigests,
      keep,
      pinned: options.pinned,
      ...(options.pinnedTags ? { pinnedTags: options.pinnedTags } : {}),
    });
    report.keptVersions = plan.keptVersions;
    report.droppedVersions = plan.droppedVersions;
    await options.onPlan?.(plan);
    const readChildren = async (digest: string) => indexChildDigests(await options.readManifest(digest));
    const result = await applyRetention(ecrPublic, repositoryName, plan, {
      dryRun,
      logger,
      childDigests,
      readChildren,
    });
    const gone = new Set(dryRun ? plan.delete.map((entry) => entry.imageDigest) : result.deleted);
    report.deleted = plan.delete
      .filter((entry) => gone.has(entry.imageDigest))
      .map((entry) => ({ digest: entry.imageDigest, tags: entry.tags, reason: entry.reason }));
    report.failures = result.failures;
    report.skipped = result.skipped;
    const verb = dryRun ? 'would delete' : 'deleted';
    logger.info(
      `public-retention: ${repositoryName} keeps ${plan.keptVersions.join(', ') || 'no versions'}; ${verb} ${report.deleted.length} image(s).`,
    );
  } catch (error) {
    report.error = (error as Error).message;
    logger.warning(`public-retention: ${repositoryName} was not cleaned up: ${report.error}`);
  }
  return report;
}

/** The repository as this run would leave it: planned tags move onto one stand-in image per plan entry. */
function simulatePublish(planned: readonly PlanEntry[]): (images: RepositoryImage[]) => RepositoryImage[] {
  return (images) => {
    const existingTags = images.flatMap((image) => image.imageTags);
    const moves = planned.map((entry) => ({
      digest: `planned:${entry.sourceName}`,
      tags: decideTags(entry.tags, existingTags).apply,
    }));
    const moved = new Set(moves.flatMap((move) => move.tags));
    return [
      ...images.map((image) => ({ ...image, imageTags: image.imageTags.filter((tag) => !moved.has(tag)) })),
      ...moves.map((move) => ({ imageDigest: move.digest, imageTags: move.tags })),
    ];
  };
}

/** What retention would delete once this run has published. Needs AWS credentials, unlike the rest of a dry run. */
export async function previewRetention(
  inputs: Inputs,
  env: PublishEnvironment,
  entries: readonly PlanEntry[],
): Promise<RetentionReport[]> {
  const { logger } = env.runtime;
  const repositories = [...new Set(entries.map((entry) => entry.repository))];
  let ecrPublic: ECRPUBLICClient;
  try {
    ecrPublic = new ECRPUBLICClient(publicClientConfig(await awsCredentials(inputs, env)));
  } catch (error) {
    const message = `cannot show what public-retention would delete without AWS credentials: ${(error as Error).message}`;
    logger.warning(`dry-run: ${message}`);
    return repositories.map((repository) => emptyReport(repository, true, inputs.publicRetention, message));
  }
  let registryClient: RegistryClient | undefined;
  const readManifest = async (repositoryName: string, digest: string): Promise<Uint8Array> => {
    const repository = await ensurePublicRepository(ecrPublic, { repositoryName, create: false, logger });
    const [host, path] = splitRepositoryUri(repository.repositoryUri);
    if (registryClient === undefined) {
      const login = await getPublicRegistryCredentials(ecrPublic, {
        registry: repository.repositoryUri,
        onSecret: env.github.setSecret,
      });
      registryClient = connectRegistry(host, registryTransport(env, login));
    }
    return (await registryClient.getManifest(path, digest, digest)).bytes;
  };
  const reports: RetentionReport[] = [];
  for (const repositoryName of repositories) {
    const planned = entries.filter((entry) => entry.repository === repositoryName);
    reports.push(
      await retainNewest(ecrPublic, repositoryName, {
        keep: inputs.publicRetention,
        dryRun: true,
        logger,
        pinned: new Map(
          planned.map((entry) => [`planned:${entry.sourceName}`, 'to be published by this run'] as const),
        ),
        readManifest: (digest) => readManifest(repositoryName, digest),
        simulate: simulatePublish(planned),
      }),
    );
  }
  return reports;
}
