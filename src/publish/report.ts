/** The data a publish run hands back: what was published, gated, catalogued and cleaned up (or, verifying, found). */
import type { GateResult } from '../aws/scan/gate.js';
import type { PromotionResult } from '../aws/promote.js';
import type { RegistryLogin } from '../aws/ecr.js';
import type { RetentionFailure } from '../aws/retention/ecr-public.js';
import type { ImageKind } from '../cnb/classify.js';
import type { MirroredPlatform } from '../cnb/mirror-tree.js';
import type { PlanJsonEntry } from '../plan/plan.js';
import type { HeldBackTag } from '../plan/tags.js';
import type { RunImageMirrorMode } from '../inputs.js';
import type { Runtime } from '../runtime.js';

/** What GitHub provides, wired by the action layer. */
export interface GitHubBridge {
  getIdToken(audience: string): Promise<string>;
  idTokenAvailable: boolean;
  setSecret(value: string): void;
  group<T>(name: string, work: () => Promise<T>): Promise<T>;
}

export interface PublishEnvironment {
  runtime: Runtime;
  github: GitHubBridge;
  /** Where the blob spool lives (the runner's temp directory). */
  tempDir: string;
}

export interface PublishedImage {
  source: string;
  sourceDigest: string;
  /** Destination repository URI as ECR returned it. */
  repository: string;
  /** Destination repository name, e.g. `buildpacks/node-engine`. */
  repositoryName: string;
  digest: string;
  tags: string[];
  heldBackTags: HeldBackTag[];
  kind: ImageKind | 'unknown';
  mutated: boolean;
  upToDate: boolean;
  platforms: string[];
  bytesUploaded: number;
  bytesMounted: number;
  bytesSkipped: number;
  foreignLayers: number;
  seconds: number;
  /** Builders: the run images given their destination copy as a mirror (`auto`) or as the run image (`primary`). */
  mirror?: BuilderMirrorReport;
  /** Signatures, attestations and SBOMs copied with the image. */
  referrers: number;
  /** A staged release: the scanned copy in private ECR, whose digest this image has. */
  staged?: { repository: string; digest: string };
}

/** A staged release (ECR Public with a scan gate): where it was staged, and whether it was published. */
export interface StagingReport {
  /** Private ECR registry and staging prefix, e.g. `123456789012.dkr.ecr.eu-west-1.amazonaws.com/ecr-publish-staging/`. */
  at: string;
  /** Every image passed the gate, and the release was written to ECR Public. */
  published: boolean;
  /** Dry run: the staging repositories, before the public ones in `plan`. */
  plan?: PlanJsonEntry[];
}

/** One run image of a builder and its copy in the destination. */
export interface RunImageCopy {
  /** The run image as the source builder names it, e.g. `index.docker.io/paketobuildpacks/run-jammy-base:latest`. */
  source: string;
  /** Its destination copy, e.g. `public.ecr.aws/paketo-buildpacks/run-jammy-base:latest`. */
  copy: string;
}

export interface BuilderMirrorReport {
  mode: RunImageMirrorMode;
  runImages: RunImageCopy[];
  platforms: MirroredPlatform[];
}

/** `lifecycle-image`: one lifecycle version the run's builders name, and its destination copy. */
export interface LifecycleCopy {
  version: string;
  /** e.g. `docker.io/buildpacksio/lifecycle:0.20.0`. */
  source: string;
  /** e.g. `public.ecr.aws/paketo-buildpacks/lifecycle:0.20.0`. */
  image: string;
  /** Source names of the builders that name this version. */
  builders: string[];
}

export interface GateReport {
  repository: string;
  gate?: GateResult;
  promotion?: PromotionResult;
  /** The gate could not decide (timeout, failed scan, not covered), or promotion failed. */
  error?: string;
}

/** `catalog-data: auto`: what happened to one repository's Gallery entry. */
export interface CatalogReport {
  repository: string;
  outcome: 'updated' | 'unchanged' | 'failed';
  /** The tag the usage text shows, or why the update failed. */
  detail: string;
}

/** `public-retention`: what one repository kept and deleted (in a dry run: would delete). */
export interface RetentionReport {
  repository: string;
  dryRun: boolean;
  keep: number;
  /** Newest first. */
  keptVersions: string[];
  droppedVersions: string[];
  deleted: { digest: string; tags: string[]; reason: string }[];
  failures: RetentionFailure[];
  /** Images left in place: tagged or referenced since they were listed, or their index could not be deleted. */
  skipped: string[];
  /** Why retention did not run for this repository at all. */
  error?: string;
}

/** `dry-run: verify`, per image and tag: in step (`up-to-date`, `mirrored`: a builder that cannot say) or not. */
export type VerifyStatus =
  'up-to-date' | 'mirrored' | 'missing' | 'different-digest' | 'moving-tag-behind' | 'source-missing';

export const IN_STEP: ReadonlySet<VerifyStatus> = new Set<VerifyStatus>(['up-to-date', 'mirrored']);

export interface VerifyRow {
  source: string;
  /** Empty when the source is missing. */
  sourceDigest: string;
  /** The repository URI, or its name when it does not exist. */
  repository: string;
  tag: string;
  status: VerifyStatus;
  /** What the tag names in the destination; empty when it is missing. */
  digest: string;
  detail: string;
}

export interface VerifyReport {
  rows: VerifyRow[];
  outOfStep: number;
}

/** Dry run: one thing the real run would do besides copying, e.g. `Scan gate`: `a finding at HIGH or above …`. */
export interface PlannedStep {
  step: string;
  detail: string;
}

export interface PublishReport {
  /** Things the user should act on, e.g. a Docker Hub pull quota running low. */
  warnings: string[];
  dryRun: boolean;
  registry: string;
  plan: PlanJsonEntry[];
  images: PublishedImage[];
  gates: GateReport[];
  gateFailed: boolean;
  notices: string[];
  catalog: CatalogReport[];
  retention: RetentionReport[];
  /** `lifecycle-image`: the lifecycle images copied for the builders (also listed in `images`). */
  lifecycle?: LifecycleCopy[];
  /** Destination logins, for `docker-login`. Holds a secret that was already masked. */
  logins: RegistryLogin[];
  /** `dry-run: true`: what the real run would do besides copying (moving tags, mirrors, gate, promotion, retention). */
  afterCopy?: PlannedStep[];
  /** `dry-run: verify`: what is out of step; nothing was written. */
  verify?: VerifyReport;
  /** A staged release: staged in private ECR and gated there before anything reached ECR Public. */
  staging?: StagingReport;
}
