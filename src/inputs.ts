/** The typed action inputs and their vocabulary (severities, scan-ignore entries), shared by action and publish. */
// Outside src/action/ so the orchestration depends on the shape of the inputs, not on how GitHub delivers them.
import type { ImageSpec, RegistryType } from './plan/plan.js';
import type { TagTemplate } from './plan/tags.js';
import type { Reference } from './oci/reference.js';

export type { ImageSpec, RegistryType };

/** Scan finding severities, highest first: the order is the rank the scan gate compares. */
export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNDEFINED'] as const;
export type Severity = (typeof SEVERITIES)[number];
export type SeverityThreshold = 'NONE' | Severity;

/** CRITICAL 5 … UNDEFINED 0. */
export function severityRank(severity: Severity): number {
  return SEVERITIES.length - 1 - SEVERITIES.indexOf(severity);
}

/** Finding severities no threshold ranks: Inspector's UNTRIAGED, and UNKNOWN for anything unrecognised. */
export const UNRANKED_SEVERITIES = ['UNTRIAGED', 'UNKNOWN'] as const;
export type UnrankedSeverity = (typeof UNRANKED_SEVERITIES)[number];
/** What a scan finding carries: a ranked severity, or an unranked one that fails every gate. */
export type FindingSeverity = Severity | UnrankedSeverity;

export function isRankedSeverity(severity: FindingSeverity): severity is Severity {
  return (SEVERITIES as readonly string[]).includes(severity);
}

/** Whether an unignored finding fails a gate: at or above the threshold, or unranked (fail closed: any gate). */
export function failsThreshold(severity: FindingSeverity, threshold: Severity): boolean {
  return !isRankedSeverity(severity) || severityRank(severity) >= severityRank(threshold);
}

export type EncryptionType = 'AES256' | 'KMS' | 'KMS_DSSE';
export type TagMutability = 'MUTABLE' | 'IMMUTABLE' | 'IMMUTABLE_WITH_EXCLUSION' | 'MUTABLE_WITH_EXCLUSION';
/** `auto`: the destination copy is added as a mirror; `primary`: it becomes the run image, the original its first mirror. */
export type RunImageMirrorMode = 'auto' | 'primary';
/** `plan`: print and output the plan; `verify`: compare source and destination, write nothing. */
export type DryRunMode = 'plan' | 'verify';

export interface ImageInput extends ImageSpec {
  /** The line as written (without its comment), for messages. */
  readonly text: string;
  /** The destination repository name, prefix applied. */
  readonly repository: string;
}

/** One `scan-ignore` line. */
export interface IgnoreEntry {
  /** A vulnerability ID as written (the gate matches it case-insensitively) or an Inspector finding ARN. */
  readonly id: string;
  /** Last day (UTC, `YYYY-MM-DD`) on which the entry still ignores findings. */
  readonly until?: string;
}

export interface Inputs {
  readonly images: ImageInput[];
  readonly registryType: RegistryType;
  readonly publicRegistryAlias?: string;
  readonly repositoryPrefix: string;
  /** From `aws-region`, else `AWS_REGION`, else `AWS_DEFAULT_REGION`; always set for private. */
  readonly awsRegion?: string;
  readonly registryId?: string;
  readonly roleToAssume?: string;
  readonly audience: string;
  readonly roleSessionName: string;
  readonly roleDurationSeconds: number;
  readonly tags: TagTemplate[];
  readonly runImageMirror: RunImageMirrorMode | false;
  /** Source repository of the lifecycle image (no tag): each builder's lifecycle version is copied from it. */
  readonly lifecycleImage?: Reference;
  readonly createRepositories: boolean;
  readonly imageTagMutability: TagMutability;
  /** Wildcard tag filters exempt from the mutability setting (only with *_WITH_EXCLUSION). */
  readonly imageTagMutabilityExclusions: string[];
  readonly scanOnPush: boolean;
  readonly encryptionType: EncryptionType;
  readonly kmsKey?: string;
  /** JSON text, checked to parse; read from the file when the input was a path. */
  readonly lifecyclePolicy?: string;
  readonly repositoryPolicy?: string;
  readonly catalogData: 'auto' | false;
  /** Newest semver versions kept per public repository; 0 turns retention off. */
  readonly publicRetention: number;
  readonly scanSeverityThreshold: SeverityThreshold;
  readonly scanIgnore: IgnoreEntry[];
  readonly scanTimeoutSeconds: number;
  readonly promoteTags: string[];
  /** A staged release's private ECR repositories are named `<this><repository-prefix><name>`. */
  readonly stagingRepositoryPrefix: string;
  readonly referrers: boolean;
  readonly dockerLogin: boolean;
  readonly sourceUsername?: string;
  readonly sourcePassword?: string;
  /** The one source host (Docker Hub's names count as one) the source login is sent to; set with the login. */
  readonly sourceRegistry?: string;
  readonly concurrency: number;
  readonly dryRun: DryRunMode | false;
  /** Write requests per second per destination host (upload start/finish, manifest PUT); 0 = no limit. */
  readonly writeRateLimit: number;
  /** Write the published images into the GitHub release body. */
  readonly releaseNotes: boolean;
  /** Only with releaseNotes; already masked. */
  readonly githubToken?: string;
  /** The release to write to; else the release of a `release` event. */
  readonly releaseTag?: string;
}

/** ECR Public cannot scan: a public release with a gate is staged in private ECR, gated there, then published. */
export function isStagedRelease(inputs: Pick<Inputs, 'registryType' | 'scanSeverityThreshold'>): boolean {
  return inputs.registryType === 'public' && inputs.scanSeverityThreshold !== 'NONE';
}
