/**
 * One run of the action: Inputs → Plan → credentials → repositories → copy (with run-image
 * mirrors) → gate and promotion → a report. Knows nothing of @actions/*: the action layer passes in
 * what GitHub provides and renders the report.
 */
import { readFile } from 'node:fs/promises';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECRPUBLICClient } from '@aws-sdk/client-ecr-public';
import type { Inputs } from '../inputs.js';
import { buildCatalogData, syncCatalogData, type CatalogPlatform, type CatalogSource } from '../aws/catalog-data.js';
import { assumeRoleWithGitHubOidc, awsClientConfig, type AwsCredentials } from '../aws/credentials.js';
import { ensurePublicRepository, getPublicRegistryCredentials, publicClientConfig } from '../aws/ecr-public.js';
import {
  applyRetention,
  indexChildDigests,
  indexDigestsOf,
  listPublicImagesIfExists,
  planRetention,
  type RepositoryImage,
} from '../aws/retention.js';
import { ensurePrivateRepository, getPrivateRegistryCredentials, type EnsuredRepository } from '../aws/ecr.js';
import { gateAndPromoteRelease } from '../aws/scan/release-gate.js';
import { builderRunImage, classifyImage, imageLabels, parseImageConfig, type ImageKind } from '../cnb/classify.js';
import { mirrorBuilderTree } from '../cnb/mirror-tree.js';
import { BlobLocations, emptyStats, platformNodes, platformsOf, readImageTree, tagsAlreadyAt, TransferLimiter, writeImageTree, type CopyOptions, type CopyStats, type ImageTree, type ManifestNode } from '../oci/copy.js';
import { platformString } from '../oci/media-types.js';
import { RateLimitObserver } from '../oci/rate-limit.js';
import { copyReferrers } from '../oci/referrers.js';
import { formatReference, parseReference, type Reference } from '../oci/reference.js';
import { connectRegistry, type RegistryClient } from '../oci/registry.js';
import { BlobSpool } from '../oci/spool.js';
import { Pacer } from '../oci/transport.js';
import { destinationRepository } from '../plan/naming.js';
import { buildPlan, planToJson, publishStages, type PlanEntry } from '../plan/plan.js';
import { decideTags, type HeldBackTag } from '../plan/tags.js';
import type { Runtime } from '../runtime.js';
import type { CatalogReport, PublishEnvironment, PublishedImage, PublishReport, RetentionReport } from './report.js';

export type { CatalogReport, GateReport, GitHubBridge, PublishEnvironment, PublishedImage, PublishReport, RetentionReport } from './report.js';

interface Destination {
  ensured: EnsuredRepository;
  client: RegistryClient;
  /** Repository path inside the registry host, e.g. `alias/name` on ECR Public. */
  path: string;
}

interface WorkItem {
  entry: PlanEntry;
  destination: Destination;
  sourceClient: RegistryClient;
  sourceDigest: string;
  tags: string[];
  heldBack: HeldBackTag[];
  tree?: ImageTree;
  kind: ImageKind | 'unknown';
  /** `os/arch` of a single-manifest image, from its config. */
  platform?: string;
}

/** `host/a/b` → [`host`, `a/b`]. */
function splitRepositoryUri(uri: string): [string, string] {
  const slash = uri.indexOf('/');
  if (slash < 0) throw new Error(`repositoryUri "${uri}" has no repository path`);
  return [uri.slice(0, slash), uri.slice(slash + 1)];
}

function referenceOf(source: Reference): string {
  return source.digest ?? source.tag ?? 'latest';
}

export async function publish(inputs: Inputs, env: PublishEnvironment): Promise<PublishReport> {
  const { runtime, github } = env;
  const { logger } = runtime;
  let plan = buildPlan({
    images: inputs.images,
    repositoryPrefix: inputs.repositoryPrefix,
    tagTemplates: inputs.tags,
    registryType: inputs.registryType,
    ...(inputs.publicRegistryAlias !== undefined ? { publicRegistryAlias: inputs.publicRegistryAlias } : {}),
  });
  const notices = plan.entries.flatMap((entry) => entry.notices);
  for (const notice of notices) logger.notice(notice);
  const report: PublishReport = { warnings: [], dryRun: inputs.dryRun, registry: '', plan: planToJson(plan), images: [], gates: [], gateFailed: false, notices, catalog: [], retention: [], logins: [] };
  const isPublic = inputs.registryType === 'public';
  const retentionWanted = isPublic && inputs.publicRetention > 0;
  if (inputs.dryRun) {
    for (const entry of report.plan) logger.info(`would publish ${entry.source} → ${entry.repository} [${entry.tags.join(', ')}]`);
    // Only retention reaches out in a dry run: what it would delete depends on what is there.
    if (retentionWanted) report.retention = await github.group('Retention (dry run)', () => dryRunRetention(inputs, env, plan.entries));
    return report;
  }

  const credentials = await github.group('AWS credentials', () => awsCredentials(inputs, env));
  const region = inputs.awsRegion ?? 'us-east-1';
  const ecr = new ECRClient(awsClientConfig(region, credentials));
  const ecrPublic = new ECRPUBLICClient(publicClientConfig(credentials));

  // Repositories first: their URIs are the destinations, and a missing one must fail before any copy.
  const ensured = new Map<string, EnsuredRepository>();
  const ensure = async (name: string, create: boolean): Promise<EnsuredRepository> => {
    const known = ensured.get(name);
    if (known !== undefined) return known;
    const repository = isPublic
      ? await ensurePublicRepository(ecrPublic, { repositoryName: name, create, logger })
      : await ensurePrivateRepository(ecr, {
          repositoryName: name,
          create,
          logger,
          ...(inputs.registryId !== undefined ? { registryId: inputs.registryId } : {}),
          settings: {
            imageTagMutability: inputs.imageTagMutability,
            scanOnPush: inputs.scanOnPush,
            encryptionType: inputs.encryptionType,
            ...(inputs.kmsKey !== undefined ? { kmsKey: inputs.kmsKey } : {}),
            ...(inputs.lifecyclePolicy !== undefined ? { lifecyclePolicyText: inputs.lifecyclePolicy } : {}),
            ...(inputs.repositoryPolicy !== undefined ? { repositoryPolicyText: inputs.repositoryPolicy } : {}),
          },
        });
    ensured.set(name, repository);
    return repository;
  };
  const privateLogin = isPublic ? undefined : await getPrivateRegistryCredentials(ecr, { onSecret: github.setSecret, ...(inputs.registryId !== undefined ? { registryId: inputs.registryId } : {}) });
  if (privateLogin !== undefined) {
    // An image already in this registry (gate-only use) stays in its own repository, whatever its depth.
    const inPlace = (entry: PlanEntry) => entry.source.registry === privateLogin.registry && entry.repository === destinationRepository(entry.source, inputs.repositoryPrefix);
    plan = { ...plan, entries: plan.entries.map((entry) => (inPlace(entry) ? { ...entry, repository: entry.source.repository } : entry)) };
    report.plan = planToJson(plan);
  }
  await github.group('Repositories', async () => {
    const calls = new TransferLimiter(4);
    await Promise.all([...new Set(plan.entries.map((entry) => entry.repository))].map((name) => calls.run(0, () => ensure(name, inputs.createRepositories))));
  });
  const first = ensured.get(plan.entries[0]!.repository)!;
  report.registry = first.repositoryUri.slice(0, first.repositoryUri.length - first.repositoryName.length - 1);

  const login = privateLogin ?? (await getPublicRegistryCredentials(ecrPublic, { registry: first.repositoryUri, onSecret: github.setSecret }));
  report.logins.push(login);

  // Docker Hub's pull quota is watched on every source; a spent quota is waited out, within a budget.
  const rateLimits = new RateLimitObserver({ runtime });
  const transport = (extra: { credentials?: { username: string; password: string } | undefined; pacer?: Pacer; source?: boolean }) => ({
    runtime,
    userAgent: 'ecr-publish',
    credentials: extra.credentials,
    writePacer: extra.pacer,
    ...(extra.source === true ? rateLimits.transportHooks() : {}),
  });
  const destinationClients = new Map<string, RegistryClient>();
  const destinationFor = (repository: EnsuredRepository): Destination => {
    const [host, path] = splitRepositoryUri(repository.repositoryUri);
    let client = destinationClients.get(host);
    if (client === undefined) {
      const pacer = inputs.writeRateLimit > 0 ? new Pacer(inputs.writeRateLimit, runtime) : undefined;
      client = connectRegistry(host, transport({ credentials: { username: login.username, password: login.password }, ...(pacer ? { pacer } : {}) }));
      destinationClients.set(host, client);
    }
    return { ensured: repository, client, path };
  };
  const sourceClients = new Map<string, RegistryClient>();
  const sourceFor = (registry: string): RegistryClient => {
    let client = sourceClients.get(registry);
    if (client === undefined) {
      // A source already in the destination registry (gate-only use) is read with the destination login.
      const sourceCredentials =
        registry === login.registry
          ? { username: login.username, password: login.password }
          : inputs.sourceUsername !== undefined && inputs.sourcePassword !== undefined
            ? { username: inputs.sourceUsername, password: inputs.sourcePassword }
            : undefined;
      client = connectRegistry(registry, transport({ credentials: sourceCredentials, source: registry !== login.registry }));
      sourceClients.set(registry, client);
    }
    return client;
  };

  const spool = await BlobSpool.create(env.tempDir);
  const locations = new BlobLocations(() => !isPublic); // ECR Public does not mount
  // Per repository, what its Gallery entry describes: the last image written there whose tags all moved.
  const catalogSources = new Map<string, CatalogSource>();
  try {
    // Resolve sources and tags; an image whose tags already hold its digest is done.
    const pending: WorkItem[] = [];
    const requests = new TransferLimiter(inputs.concurrency);
    await github.group('Resolve', async () => {
      await Promise.all(plan.entries.map((entry) => requests.run(0, () => resolve(entry, pending))));
    });

    const copyOptions = (): CopyOptions => ({ runtime, spool, locations, concurrency: inputs.concurrency, limiter: transfers });
    const transfers = new TransferLimiter(inputs.concurrency);
    await github.group(`Publish ${pending.length} image(s)`, async () => {
      // Images of one stage go together, sharing `concurrency`; run images land before builders name them.
      for (const stage of publishStages(pending, (i) => (i.kind === 'unknown' ? 'other' : i.kind))) {
        const published = await Promise.allSettled(stage.map((item) => publishImage(item, copyOptions())));
        for (const result of published) if (result.status === 'fulfilled') report.images.push(result.value);
        const failed = published.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (failed !== undefined) throw failed.reason;
      }
    });
    const order = new Map(plan.entries.map((entry, index) => [entry.sourceName + ' ' + entry.repository, index]));
    const position = (image: PublishedImage) => order.get(`${image.source} ${ensuredName(image.repository)}`) ?? 0;
    report.images.sort((a, b) => position(a) - position(b));

    if (inputs.referrers) {
      await github.group('Signatures, attestations and SBOMs', async () => {
        for (const image of report.images) await copyImageReferrers(image, copyOptions());
      });
    }
    report.warnings.push(...rateLimits.lowQuotaWarnings());
    for (const warning of report.warnings) logger.warning(warning);

    if (catalogSources.size > 0) {
      await github.group('Catalog data', async () => {
        for (const [repositoryName, source] of catalogSources) report.catalog.push(await updateCatalog(repositoryName, source));
      });
    }
  } finally {
    await spool.cleanup();
  }

  function ensuredName(repositoryUri: string): string {
    return [...ensured.values()].find((r) => r.repositoryUri === repositoryUri)?.repositoryName ?? repositoryUri;
  }

  /** HEADs the source, decides tags from the destination's, and reads the tree unless it is already there. */
  async function resolve(entry: PlanEntry, pending: WorkItem[]): Promise<void> {
    const started = runtime.clock.now();
    const sourceClient = sourceFor(entry.source.registry);
    const head = await sourceClient.headManifest(entry.source.repository, referenceOf(entry.source));
    if (head === undefined) throw new Error(`source image ${entry.sourceName} not found`);
    if (entry.source.digest !== undefined && head.digest !== entry.source.digest) {
      throw new Error(`source image ${entry.sourceName} answered with digest ${head.digest}`);
    }
    const destination = destinationFor(ensured.get(entry.repository)!);
    const candidates = entry.tags.map((t) => t.tag);
    // A re-run's fast path: every tag already names this digest, so no tag decision is left to make.
    if (candidates.length > 0 && (await tagsAlreadyAt({ client: destination.client, repository: destination.path, tags: candidates }, head.digest))) {
      logger.info(`${entry.sourceName} is already at ${destination.ensured.repositoryUri} (${head.digest})`);
      const done: WorkItem = { entry, destination, sourceClient, sourceDigest: head.digest, tags: candidates, heldBack: [], kind: 'unknown' };
      report.images.push(imageReport(done, head.digest, emptyStats(), { upToDate: true, mutated: false, platforms: [], seconds: (runtime.clock.now() - started) / 1000 }));
      return;
    }
    const decision = decideTags(entry.tags, await destination.client.listTags(destination.path));
    for (const held of decision.heldBack) logger.notice(`${destination.ensured.repositoryUri}: tag "${held.tag}" not moved: ${held.reason}`);
    const item: WorkItem = { entry, destination, sourceClient, sourceDigest: head.digest, tags: decision.apply, heldBack: decision.heldBack, kind: 'unknown' };
    if (decision.apply.length > 0 && (await tagsAlreadyAt({ client: destination.client, repository: destination.path, tags: decision.apply }, head.digest))) {
      logger.info(`${entry.sourceName} is already at ${destination.ensured.repositoryUri} (${head.digest}); held back: ${decision.heldBack.map((h) => h.tag).join(', ')}`);
      report.images.push(imageReport(item, head.digest, emptyStats(), { upToDate: true, mutated: false, platforms: [], seconds: (runtime.clock.now() - started) / 1000 }));
      return;
    }
    item.tree = await readImageTree({ client: sourceClient, repository: entry.source.repository }, head.digest);
    const first = platformNodes(item.tree)[0];
    if (first === undefined) {
      item.kind = 'other';
    } else {
      const config = await readConfig(spool, item.tree, first);
      item.kind = classifyImage(config);
      const platform = platformOfConfig(config);
      item.platform = platformString({ os: platform.os, architecture: platform.architecture, ...(platform.variant !== undefined ? { variant: platform.variant } : {}) });
    }
    pending.push(item);
  }

  /** Signatures of a digest only apply to that digest: mutated builders get none, and say so. */
  async function copyImageReferrers(image: PublishedImage, options: CopyOptions): Promise<void> {
    if (image.upToDate) return;
    if (image.mutated) {
      logger.info(`${image.repository}: source signatures and attestations not copied: they sign ${image.sourceDigest}, not the mutated ${image.digest}`);
      return;
    }
    const entry = plan.entries.find((e) => e.sourceName === image.source)!;
    const destination = destinationFor(ensured.get(ensuredName(image.repository))!);
    const result = await copyReferrers({
      source: { client: sourceFor(entry.source.registry), repository: entry.source.repository },
      destination: { client: destination.client, repository: destination.path },
      subjectDigests: [image.digest],
      options,
    });
    image.referrers = result.copied.length;
    if (result.copied.length > 0) logger.info(`${image.repository}: copied ${result.copied.length} signature(s)/attestation(s)/SBOM(s): ${result.copied.map((c) => c.tag ?? c.digest).join(', ')}`);
  }

  async function publishImage(item: WorkItem, options: CopyOptions): Promise<PublishedImage> {
    const started = runtime.clock.now();
    let tree = item.tree!;
    let mirror: PublishedImage['mirror'];
    if (item.kind === 'builder' && inputs.runImageMirror === 'auto') {
      const image = await mirrorTarget(item);
      const mirrored = await mirrorBuilderTree(tree, image, (node) => readConfig(spool, tree, node));
      tree = mirrored.tree;
      mirror = { image, platforms: mirrored.platforms };
      logger.info(mirrored.changed ? `builder ${item.entry.sourceName}: added run-image mirror ${image} (${tree.root.digest})` : `builder ${item.entry.sourceName} already lists ${image}`);
    }
    let lastProgress = runtime.clock.now();
    const stats: CopyStats = await writeImageTree(tree, { client: item.destination.client, repository: item.destination.path, tags: item.tags }, {
      ...options,
      onProgress: (done, total) => {
        const now = runtime.clock.now();
        if (now - lastProgress < 10_000) return;
        lastProgress = now;
        logger.info(`${item.destination.ensured.repositoryUri}: ${mib(done)} of ${mib(total)} MiB`);
      },
    });
    const mutated = tree.root.digest !== item.sourceDigest;
    // An older release (its moving tags held back) must not take over the Gallery entry.
    if (isPublic && inputs.catalogData === 'auto' && item.heldBack.length === 0 && item.tags.length > 0) {
      catalogSources.set(item.destination.ensured.repositoryName, await catalogSourceOf(item, tree));
    }
    logger.info(`${item.entry.sourceName} → ${item.destination.ensured.repositoryUri}@${tree.root.digest} [${item.tags.join(', ')}]: ${mib(stats.bytesUploaded)} MiB uploaded, ${mib(stats.bytesMounted)} MiB mounted, ${mib(stats.bytesSkipped)} MiB already there`);
    return imageReport(item, tree.root.digest, stats, {
      upToDate: false,
      mutated,
      platforms: platformsOf(tree, item.platform),
      seconds: (runtime.clock.now() - started) / 1000,
      ...(mirror !== undefined ? { mirror } : {}),
    });
  }

  async function catalogSourceOf(item: WorkItem, tree: ImageTree): Promise<CatalogSource> {
    const nodes = platformNodes(tree);
    const firstConfig = await readConfig(spool, tree, nodes[0]!);
    const platforms: CatalogPlatform[] =
      tree.root.children.length === 0 ? [platformOfConfig(firstConfig)] : nodes.flatMap((node) => (node.platform === undefined ? [] : [node.platform]));
    return {
      labels: imageLabels(firstConfig),
      kind: item.kind,
      platforms,
      repositoryUri: item.destination.ensured.repositoryUri,
      // `latest` keeps the usage text, and so the catalog data, the same from release to release.
      tag: item.tags.includes('latest') ? 'latest' : item.tags[0]!,
      // The repository without the tag, so a new release does not rewrite the about text.
      source: `${item.entry.source.registry}/${item.entry.source.repository}`,
    };
  }

  /** Catalog data is cosmetic: a failure is a warning, never a failed publish. */
  async function updateCatalog(repositoryName: string, source: CatalogSource): Promise<CatalogReport> {
    try {
      const changed = await syncCatalogData(ecrPublic, repositoryName, buildCatalogData(source), { logger });
      return { repository: source.repositoryUri, outcome: changed ? 'updated' : 'unchanged', detail: `usage shows :${source.tag}` };
    } catch (error) {
      const message = (error as Error).message;
      logger.warning(`catalog-data: ${message}`);
      return { repository: source.repositoryUri, outcome: 'failed', detail: message };
    }
  }

  /** The destination copy of the builder's run image, which must exist before the builder names it. */
  async function mirrorTarget(item: WorkItem): Promise<string> {
    const runImages = new Set<string | undefined>();
    for (const node of platformNodes(item.tree!)) {
      const config = await readConfig(spool, item.tree!, node);
      if (parseImageConfig(config).os === 'windows') throw new Error(`builder ${item.entry.sourceName}: windows builders are not supported`);
      try {
        runImages.add(builderRunImage(config));
      } catch (error) {
        throw new Error(`builder ${item.entry.sourceName}: ${(error as Error).message}`);
      }
    }
    if (runImages.size > 1) throw new Error(`builder ${item.entry.sourceName}: its platforms name different run images (${[...runImages].join(', ')})`);
    const runImage = [...runImages][0];
    if (runImage === undefined) throw new Error(`builder ${item.entry.sourceName} names no run image in io.buildpacks.builder.metadata`);
    const ref = parseReference(runImage);
    const planned = plan.entries.find((e) => e.source.registry === ref.registry && e.source.repository === ref.repository);
    const name = planned?.repository ?? destinationRepository(ref, inputs.repositoryPrefix);
    let repository: EnsuredRepository;
    try {
      repository = await ensure(name, false);
    } catch (error) {
      throw new Error(`builder ${item.entry.sourceName}: its run image ${runImage} maps to repository "${name}", which does not exist: add the run image to "images" (${(error as Error).message})`);
    }
    const destination = destinationFor(repository);
    const reference = ref.digest ?? ref.tag ?? 'latest';
    if ((await destination.client.headManifest(destination.path, reference)) === undefined) {
      throw new Error(`builder ${item.entry.sourceName}: its run image ${runImage} maps to ${repository.repositoryUri}${ref.digest ? '@' : ':'}${reference}, which was neither published in this run nor found there: add ${formatReference(ref)} to "images"`);
    }
    return `${repository.repositoryUri}${ref.digest !== undefined ? `@${ref.digest}` : `:${ref.tag ?? 'latest'}`}`;
  }

  if (!isPublic && (inputs.scanSeverityThreshold !== 'NONE' || inputs.promoteTags.length > 0)) {
    await github.group('Scan gate and promotion', async () => {
      const images = report.images.map((image) => ({ repositoryName: ensuredName(image.repository), digest: image.digest }));
      const release = await gateAndPromoteRelease(images, {
        ecr,
        runtime,
        threshold: inputs.scanSeverityThreshold,
        ignore: inputs.scanIgnore,
        timeoutMs: inputs.scanTimeoutSeconds * 1000,
        promoteTags: inputs.promoteTags,
        ...(inputs.registryId !== undefined ? { registryId: inputs.registryId } : {}),
      });
      release.entries.forEach((entry, i) => {
        const repository = report.images[i]!.repository;
        report.gates.push({ repository, ...(entry.gate ? { gate: entry.gate } : {}), ...(entry.promotion ? { promotion: entry.promotion } : {}), ...(entry.error ? { error: entry.error } : {}) });
      });
      report.gateFailed = !release.passed;
    });
  }

  if (retentionWanted) {
    await github.group('Retention', async () => {
      for (const repositoryName of new Set(plan.entries.map((entry) => entry.repository))) {
        const destination = destinationFor(ensured.get(repositoryName)!);
        const pinned = new Map(
          report.images.filter((image) => image.repository === destination.ensured.repositoryUri).map((image) => [image.digest, 'published by this run'] as const),
        );
        report.retention.push(
          await retainNewest(ecrPublic, repositoryName, {
            keep: inputs.publicRetention,
            dryRun: false,
            logger,
            pinned,
            readManifest: async (digest) => (await destination.client.getManifest(destination.path, digest, digest)).bytes,
          }),
        );
      }
    });
  }
  return report;
}

interface RetentionOptions {
  keep: number;
  dryRun: boolean;
  logger: Runtime['logger'];
  pinned: ReadonlyMap<string, string>;
  readManifest: (digest: string) => Promise<Uint8Array>;
  /** Dry run: the repository as this run would leave it, before retention. */
  simulate?: (images: RepositoryImage[]) => RepositoryImage[];
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
    report.deleted = plan.delete.filter((entry) => gone.has(entry.imageDigest)).map((entry) => ({ digest: entry.imageDigest, tags: entry.tags, reason: entry.reason }));
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

/**
 * What retention would delete once this run has published: the planned tags are moved onto a stand-in
 * image per plan entry (pinned, like a published image). Needs AWS credentials, unlike the rest of a dry run.
 */
async function dryRunRetention(inputs: Inputs, env: PublishEnvironment, entries: readonly PlanEntry[]): Promise<RetentionReport[]> {
  const { runtime, github } = env;
  const { logger } = runtime;
  const repositories = [...new Set(entries.map((entry) => entry.repository))];
  let ecrPublic: ECRPUBLICClient;
  try {
    ecrPublic = new ECRPUBLICClient(publicClientConfig(await awsCredentials(inputs, env)));
  } catch (error) {
    const message = `cannot show what public-retention would delete without AWS credentials: ${(error as Error).message}`;
    logger.warning(`dry-run: ${message}`);
    return repositories.map((repository) => ({ repository, dryRun: true, keep: inputs.publicRetention, keptVersions: [], droppedVersions: [], deleted: [], failures: [], skipped: [], error: message }));
  }
  let registryClient: RegistryClient | undefined;
  const reports: RetentionReport[] = [];
  for (const repositoryName of repositories) {
    const planned = entries.filter((entry) => entry.repository === repositoryName);
    const standIns = new Map(planned.map((entry) => [`planned:${entry.sourceName}`, 'to be published by this run'] as const));
    reports.push(
      await retainNewest(ecrPublic, repositoryName, {
        keep: inputs.publicRetention,
        dryRun: true,
        logger,
        pinned: standIns,
        readManifest: async (digest) => {
          const repository = await ensurePublicRepository(ecrPublic, { repositoryName, create: false, logger });
          const [host, path] = splitRepositoryUri(repository.repositoryUri);
          if (registryClient === undefined) {
            const login = await getPublicRegistryCredentials(ecrPublic, { registry: repository.repositoryUri, onSecret: github.setSecret });
            registryClient = connectRegistry(host, { runtime, userAgent: 'ecr-publish', credentials: { username: login.username, password: login.password } });
          }
          return (await registryClient.getManifest(path, digest, digest)).bytes;
        },
        simulate: (images) => {
          const existingTags = images.flatMap((image) => image.imageTags);
          const moves = planned.map((entry) => ({ digest: `planned:${entry.sourceName}`, tags: decideTags(entry.tags, existingTags).apply }));
          const moved = new Set(moves.flatMap((move) => move.tags));
          return [
            ...images.map((image) => ({ ...image, imageTags: image.imageTags.filter((tag) => !moved.has(tag)) })),
            ...moves.map((move) => ({ imageDigest: move.digest, imageTags: move.tags })),
          ];
        },
      }),
    );
  }
  return reports;
}

/** os/architecture/variant of a single-platform image, from its config. */
function platformOfConfig(config: Uint8Array): CatalogPlatform {
  const parsed = parseImageConfig(config);
  const text = (key: string): string => (typeof parsed[key] === 'string' ? (parsed[key] as string) : '');
  const variant = text('variant');
  return { os: text('os'), architecture: text('architecture'), ...(variant === '' ? {} : { variant }) };
}

async function awsCredentials(inputs: Inputs, env: PublishEnvironment): Promise<AwsCredentials | undefined> {
  if (inputs.roleToAssume === undefined) return undefined;
  return assumeRoleWithGitHubOidc({
    roleArn: inputs.roleToAssume,
    audience: inputs.audience,
    sessionName: inputs.roleSessionName,
    durationSeconds: inputs.roleDurationSeconds,
    region: inputs.awsRegion ?? 'us-east-1',
    getIdToken: (audience) => env.github.getIdToken(audience),
    idTokenAvailable: env.github.idTokenAvailable,
    onSecret: (value) => env.github.setSecret(value),
    runtime: env.runtime,
  });
}

async function readConfig(spool: BlobSpool, tree: ImageTree, node: ManifestNode): Promise<Uint8Array> {
  const config = node.blobs[0];
  if (config === undefined) throw new Error(`${tree.source.repository}@${node.digest} has no config`);
  const local = tree.localBlobs.get(config.digest);
  if (local !== undefined) return local;
  return readFile(await spool.fetch(tree.source.client, tree.source.repository, config));
}

function mib(bytes: number): string {
  return (bytes / 1024 / 1024).toFixed(1);
}

function imageReport(
  item: WorkItem,
  digest: string,
  stats: CopyStats,
  extra: { upToDate: boolean; mutated: boolean; platforms: string[]; seconds: number; mirror?: PublishedImage['mirror'] },
): PublishedImage {
  return {
    source: item.entry.sourceName,
    sourceDigest: item.sourceDigest,
    repository: item.destination.ensured.repositoryUri,
    digest,
    tags: item.tags,
    heldBackTags: item.heldBack,
    kind: item.kind,
    mutated: extra.mutated,
    upToDate: extra.upToDate,
    platforms: extra.platforms,
    bytesUploaded: stats.bytesUploaded,
    bytesMounted: stats.bytesMounted,
    bytesSkipped: stats.bytesSkipped,
    foreignLayers: stats.foreignLayers.length,
    seconds: extra.seconds,
    referrers: 0,
    ...(extra.mirror !== undefined ? { mirror: extra.mirror } : {}),
  };
}
