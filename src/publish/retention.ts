/** Retention step (ECR Public, `public-retention`): keep the newest N versions per repository, delete older ones. */
import { ECRPUBLICClient } from '@aws-sdk/client-ecr-public';
import type { Inputs } from '../inputs.js';
import { ensurePublicRepository, getPublicRegistryCredentials, publicClientConfig } from '../aws/ecr-public.js';
import { applyRetention, listPublicImagesIfExists } from '../aws/retention/ecr-public.js';
import { indexDigestsOf, planRetention, type RepositoryImage } from '../aws/retention/plan.js';
import { indexChildDigests } from '../oci/media-types.js';
import { connectRegistry, type RegistryClient } from '../oci/registry.js';
import type { PlanEntry } from '../plan/plan.js';
import { decideTags } from '../plan/tags.js';
import type { Logger } from '../runtime.js';
import { awsCredentials, registryTransport, splitRepositoryUri } from './connections.js';
import type { RunContext } from './context.js';
import type { PublishedImage, PublishEnvironment, RetentionReport } from './report.js';

interface RetentionOptions {
  keep: number;
  dryRun: boolean;
  logger: Logger;
  /** Digests never to delete, with the reason. */
  pinned: ReadonlyMap<string, string>;
  readManifest: (digest: string) => Promise<Uint8Array>;
  /** Dry run: the repository as this run would leave it, before retention. */
  simulate?: (images: RepositoryImage[]) => RepositoryImage[];
}

export function retentionWanted(inputs: Inputs): boolean {
  return inputs.registryType === 'public' && inputs.publicRetention > 0;
}

/** After publishing: every repository of the plan, with the images this run published pinned. */
export async function applyPublicRetention(images: readonly PublishedImage[], run: RunContext): Promise<RetentionReport[]> {
  const reports: RetentionReport[] = [];
  for (const repositoryName of new Set(run.plan.entries.map((entry) => entry.repository))) {
    const destination = run.connections.destination(repositoryName);
    const published = images.filter((image) => image.repositoryName === repositoryName);
    reports.push(
      await retainNewest(run.connections.ecrPublic, repositoryName, {
        keep: run.inputs.publicRetention,
        dryRun: false,
        logger: run.runtime.logger,
        pinned: new Map(published.map((image) => [image.digest, 'published by this run'] as const)),
        readManifest: async (digest) => (await destination.client.getManifest(destination.path, digest, digest)).bytes,
      }),
    );
  }
  return reports;
}

/** Retention of one repository; a failure is reported and warned about, the images stay published. */
async function retainNewest(ecrPublic: ECRPUBLICClient, repositoryName: string, options: RetentionOptions): Promise<RetentionReport> {
  const { keep, dryRun, logger } = options;
  const report: RetentionReport = { repository: repositoryName, dryRun, keep, keptVersions: [], droppedVersions: [], deleted: [], failures: [], skipped: [] };
  try {
    const listed = await listPublicImagesIfExists(ecrPublic, repositoryName);
    if (listed === undefined) {
      logger.info(`public-retention: ${repositoryName} does not exist yet; nothing to delete.`);
      return report;
    }
    const images = options.simulate === undefined ? listed : options.simulate(listed);
    const childDigests = new Map<string, string[]>();
    for (const digest of indexDigestsOf(images)) childDigests.set(digest, indexChildDigests(await options.readManifest(digest)));
    const plan = planRetention({ images, childDigests, keep, pinned: options.pinned });
    report.keptVersions = plan.keptVersions;
    report.droppedVersions = plan.droppedVersions;
    const result = await applyRetention(ecrPublic, repositoryName, plan, { dryRun, logger });
    const gone = new Set(dryRun ? plan.delete.map((entry) => entry.imageDigest) : result.deleted);
    report.deleted = plan.delete
      .filter((entry) => gone.has(entry.imageDigest))
      .map((entry) => ({ digest: entry.imageDigest, tags: entry.tags, reason: entry.reason }));
    report.failures = result.failures;
    report.skipped = result.skipped;
    const verb = dryRun ? 'would delete' : 'deleted';
    logger.info(`public-retention: ${repositoryName} keeps ${plan.keptVersions.join(', ') || 'no versions'}; ${verb} ${report.deleted.length} image(s).`);
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
    const moves = planned.map((entry) => ({ digest: `planned:${entry.sourceName}`, tags: decideTags(entry.tags, existingTags).apply }));
    const moved = new Set(moves.flatMap((move) => move.tags));
    return [
      ...images.map((image) => ({ ...image, imageTags: image.imageTags.filter((tag) => !moved.has(tag)) })),
      ...moves.map((move) => ({ imageDigest: move.digest, imageTags: move.tags })),
    ];
  };
}

/** What retention would delete once this run has published. Needs AWS credentials, unlike the rest of a dry run. */
export async function previewRetention(inputs: Inputs, env: PublishEnvironment, entries: readonly PlanEntry[]): Promise<RetentionReport[]> {
  const { logger } = env.runtime;
  const repositories = [...new Set(entries.map((entry) => entry.repository))];
  let ecrPublic: ECRPUBLICClient;
  try {
    ecrPublic = new ECRPUBLICClient(publicClientConfig(await awsCredentials(inputs, env)));
  } catch (error) {
    const message = `cannot show what public-retention would delete without AWS credentials: ${(error as Error).message}`;
    logger.warning(`dry-run: ${message}`);
    return repositories.map((repository) => ({
      repository, dryRun: true, keep: inputs.publicRetention, keptVersions: [], droppedVersions: [], deleted: [], failures: [], skipped: [], error: message,
    }));
  }
  let registryClient: RegistryClient | undefined;
  const readManifest = async (repositoryName: string, digest: string): Promise<Uint8Array> => {
    const repository = await ensurePublicRepository(ecrPublic, { repositoryName, create: false, logger });
    const [host, path] = splitRepositoryUri(repository.repositoryUri);
    if (registryClient === undefined) {
      const login = await getPublicRegistryCredentials(ecrPublic, { registry: repository.repositoryUri, onSecret: env.github.setSecret });
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
        pinned: new Map(planned.map((entry) => [`planned:${entry.sourceName}`, 'to be published by this run'] as const)),
        readManifest: (digest) => readManifest(repositoryName, digest),
        simulate: simulatePublish(planned),
      }),
    );
  }
  return reports;
}
