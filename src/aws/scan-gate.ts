/**
 * The ECR scan gate: resolve the image once, expand an index to its platform manifests, wait for
 * every platform's scan (our own loop with a hard timeout, not the SDK waiter, which gives up on
 * enhanced scanning's ACTIVE), then apply the policy. Promotion happens only through `gateAndPromote`.
 */
import {
  BatchGetImageCommand,
  DescribeImageScanFindingsCommand,
  DescribeRepositoriesCommand,
  GetRegistryScanningConfigurationCommand,
  StartImageScanCommand,
  type DescribeImageScanFindingsResponse,
  type ECRClient,
  type EnhancedImageScanFinding,
  type ImageScanFinding,
} from '@aws-sdk/client-ecr';
import { sha256Digest } from '../oci/digest.js';
import {
  MANIFEST_MEDIA_TYPES,
  isAttestationEntry,
  isImageManifestMediaType,
  isIndexMediaType,
  platformString,
  type ImageIndex,
} from '../oci/media-types.js';
import type { Runtime } from '../runtime.js';
import { promoteImage, type PromotionResult } from './promote.js';
import {
  evaluatePolicy,
  normalizeSeverity,
  type FailingFinding,
  type FixAvailable,
  type Finding,
  type IgnoreEntry,
  type PlatformFindings,
  type PlatformReport,
  type Severity,
  type SeverityCounts,
} from './scan-policy.js';

export type ScanType = 'BASIC' | 'ENHANCED';

export interface ScanGateOptions {
  ecr: ECRClient;
  /** The registry's account; the caller's own when absent. */
  registryId?: string | undefined;
  repositoryName: string;
  /** The digest wins when both are given. */
  image: { tag?: string | undefined; digest?: string | undefined };
  threshold: Severity;
  ignore: readonly IgnoreEntry[];
  timeoutMs: number;
  pollIntervalMs?: number | undefined;
  /** Under basic scan-on-push, how long a missing scan may stay missing before we start one. */
  scanStartGraceMs?: number | undefined;
  runtime: Runtime;
}

export interface GateResult {
  verdict: 'pass' | 'fail';
  repositoryName: string;
  /** The digest the tag resolved to, once, at the start; promote exactly this. */
  imageDigest: string;
  imageMediaType: string;
  threshold: Severity;
  scanType: ScanType;
  platforms: PlatformReport[];
  failing: FailingFinding[];
  expiredIgnores: IgnoreEntry[];
  unmatchedIgnores: IgnoreEntry[];
}

export type ScanGateFailure =
  | 'image-not-found'
  | 'nothing-to-scan'
  | 'not-covered'
  | 'scan-failed'
  | 'scan-not-startable'
  | 'timeout';

export class ScanGateError extends Error {
  override name = 'ScanGateError';
  constructor(
    readonly reason: ScanGateFailure,
    message: string,
  ) {
    super(message);
  }
}

export const DEFAULT_POLL_INTERVAL_MS = 5000;
export const DEFAULT_SCAN_START_GRACE_MS = 30_000;

const WAITING_STATUSES = new Set(['IN_PROGRESS', 'PENDING']);
const RESULT_STATUSES = new Set(['COMPLETE', 'ACTIVE']);
const FAILED_STATUS_ADVICE: Record<string, string> = {
  FAILED: 'push the image again or start a scan in the ECR console',
  UNSUPPORTED_IMAGE: 'ECR cannot scan this operating system or image type; gate on another scanner or drop scan-severity-threshold',
  SCAN_ELIGIBILITY_EXPIRED: 'Inspector no longer rescans this image; push it again to get a fresh scan',
  FINDINGS_UNAVAILABLE: 'Inspector has no findings for this image; push it again or check Amazon Inspector',
  LIMIT_EXCEEDED: 'the scan limit was exceeded; try again later',
  IMAGE_ARCHIVED: 'archived images are not scanned; restore the image first',
};

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : '';
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function registryField(registryId: string | undefined): { registryId?: string } {
  return registryId !== undefined ? { registryId } : {};
}

// ---------------------------------------------------------------- resolve and expand

interface ScanTarget {
  digest: string;
  platform?: string;
}

interface ResolvedImage {
  digest: string;
  mediaType: string;
  targets: ScanTarget[];
}

async function resolveImage(options: ScanGateOptions): Promise<ResolvedImage> {
  const { ecr, registryId, repositoryName, image } = options;
  const imageId = image.digest !== undefined ? { imageDigest: image.digest } : image.tag !== undefined ? { imageTag: image.tag } : undefined;
  if (imageId === undefined) throw new ScanGateError('image-not-found', 'scan gate: no tag or digest given for the image');
  const shown = image.digest !== undefined ? `${repositoryName}@${image.digest}` : `${repositoryName}:${image.tag ?? ''}`;

  const response = await ecr.send(
    new BatchGetImageCommand({
      ...registryField(registryId),
      repositoryName,
      imageIds: [imageId],
      acceptedMediaTypes: [...MANIFEST_MEDIA_TYPES],
    }),
  );
  const found = response.images?.[0];
  if (found?.imageManifest === undefined) {
    const failure = response.failures?.[0];
    const reason = failure ? ` (${failure.failureCode ?? 'unknown'}: ${failure.failureReason ?? 'no reason given'})` : '';
    throw new ScanGateError('image-not-found', `scan gate: image ${shown} is not in private ECR${reason}`);
  }
  const manifestText = found.imageManifest;
  const digest = found.imageId?.imageDigest ?? sha256Digest(Buffer.from(manifestText, 'utf8'));
  if (image.digest !== undefined && digest !== image.digest) {
    throw new ScanGateError('image-not-found', `scan gate: ECR returned ${digest} when asked for ${shown}`);
  }
  const parsed = JSON.parse(manifestText) as { mediaType?: string; manifests?: ImageIndex['manifests'] };
  const mediaType = found.imageManifestMediaType ?? parsed.mediaType ?? '';

  if (!isIndexMediaType(mediaType) && !Array.isArray(parsed.manifests)) {
    return { digest, mediaType, targets: [{ digest }] };
  }
  const seen = new Set<string>();
  const targets: ScanTarget[] = [];
  for (const entry of parsed.manifests ?? []) {
    // ECR scans image manifests only: not the index, not attestations (unknown/unknown).
    if (isAttestationEntry(entry) || !isImageManifestMediaType(entry.mediaType) || seen.has(entry.digest)) continue;
    seen.add(entry.digest);
    targets.push(entry.platform !== undefined ? { digest: entry.digest, platform: platformString(entry.platform) } : { digest: entry.digest });
  }
  if (targets.length === 0) {
    throw new ScanGateError('nothing-to-scan', `scan gate: the index ${repositoryName}@${digest} has no platform image manifest to scan`);
  }
  return { digest, mediaType, targets };
}

// ---------------------------------------------------------------- scanning mode and coverage

/** How scans of this repository come about. `manual`: only StartImageScan (basic). */
type Coverage = 'on-push' | 'continuous' | 'manual' | 'unknown';

interface ScanningMode {
  scanType: ScanType | undefined;
  coverage: Coverage;
}

/** ECR's WILDCARD filter: `*` matches any run of characters, everything else itself. */
export function repositoryFilterMatches(filter: string, repositoryName: string): boolean {
  const pattern = filter
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${pattern}$`).test(repositoryName);
}

async function readScanningMode(options: ScanGateOptions): Promise<ScanningMode> {
  const { ecr, registryId, repositoryName, runtime } = options;
  const response = await ecr.send(new GetRegistryScanningConfigurationCommand({}));
  if (registryId !== undefined && response.registryId !== undefined && response.registryId !== registryId) {
    // The API only describes the caller's registry; don't guess another account's setup.
    runtime.logger.warning(
      `scan gate: cannot read the scanning configuration of registry ${registryId} from account ${response.registryId}; waiting for scans without starting any`,
    );
    return { scanType: undefined, coverage: 'unknown' };
  }
  const scanType: ScanType = response.scanningConfiguration?.scanType === 'ENHANCED' ? 'ENHANCED' : 'BASIC';
  const frequencies = new Set(
    (response.scanningConfiguration?.rules ?? [])
      .filter((rule) => (rule.repositoryFilters ?? []).some((f) => f.filter !== undefined && repositoryFilterMatches(f.filter, repositoryName)))
      .map((rule) => rule.scanFrequency),
  );

  if (scanType === 'ENHANCED') {
    if (frequencies.has('CONTINUOUS_SCAN')) return { scanType, coverage: 'continuous' };
    if (frequencies.has('SCAN_ON_PUSH')) return { scanType, coverage: 'on-push' };
    throw new ScanGateError(
      'not-covered',
      `scan gate: repository ${repositoryName} is not covered by enhanced scanning; add a registry scanning rule (SCAN_ON_PUSH or CONTINUOUS_SCAN) whose filter matches it, then push again`,
    );
  }
  if (frequencies.has('SCAN_ON_PUSH')) return { scanType, coverage: 'on-push' };
  const repositories = await ecr.send(new DescribeRepositoriesCommand({ ...registryField(registryId), repositoryNames: [repositoryName] }));
  if (repositories.repositories?.[0]?.imageScanningConfiguration?.scanOnPush === true) return { scanType, coverage: 'on-push' };
  // Basic scanning puts every other repository on MANUAL: a scan exists only once someone starts one.
  runtime.logger.info(
    `scan gate: repository ${repositoryName} has no scan-on-push under basic scanning; starting scans manually (enable scan-on-push to avoid the wait)`,
  );
  return { scanType, coverage: 'manual' };
}

// ---------------------------------------------------------------- findings

function basicFinding(raw: ImageScanFinding): Finding {
  const attributes = new Map((raw.attributes ?? []).map((a) => [a.key ?? '', a.value ?? '']));
  const finding: Finding = {
    id: raw.name ?? 'unnamed finding',
    severity: normalizeSeverity(raw.severity),
    reportedSeverity: raw.severity ?? 'UNDEFINED',
    package: attributes.get('package_name') ?? '',
    installedVersion: attributes.get('package_version') ?? '',
    fixAvailable: 'UNKNOWN',
    ignored: false,
  };
  const uri = raw.uri ?? attributes.get('uri');
  if (uri !== undefined && uri !== '') finding.uri = uri;
  return finding;
}

function fixAvailable(value: string | undefined): FixAvailable {
  return value === 'YES' || value === 'NO' || value === 'PARTIAL' ? value : 'UNKNOWN';
}

function joinDistinct(values: (string | undefined)[]): string {
  return [...new Set(values.filter((v): v is string => v !== undefined && v !== ''))].join(', ');
}

function enhancedFinding(raw: EnhancedImageScanFinding): Finding {
  const details = raw.packageVulnerabilityDetails;
  const packages = details?.vulnerablePackages ?? [];
  const finding: Finding = {
    id: details?.vulnerabilityId ?? raw.title ?? raw.findingArn ?? 'unnamed finding',
    severity: normalizeSeverity(raw.severity),
    reportedSeverity: raw.severity ?? 'UNDEFINED',
    package: joinDistinct(packages.map((p) => p.name)),
    installedVersion: joinDistinct(packages.map((p) => p.version)),
    fixAvailable: fixAvailable(raw.fixAvailable),
    ignored: false,
  };
  if (raw.findingArn !== undefined) finding.arn = raw.findingArn;
  const fixedIn = joinDistinct(packages.map((p) => p.fixedInVersion));
  if (fixedIn !== '') finding.fixedInVersion = fixedIn;
  const uri = details?.sourceUrl;
  if (uri !== undefined && uri !== '') finding.uri = uri;
  return finding;
}

function findingsOf(page: DescribeImageScanFindingsResponse): Finding[] {
  const basic = (page.imageScanFindings?.findings ?? []).map(basicFinding);
  // Suppressed and closed Inspector findings don't count; a finding without status does, to be safe.
  const enhanced = (page.imageScanFindings?.enhancedFindings ?? [])
    .filter((raw) => raw.status === undefined || raw.status === 'ACTIVE')
    .map(enhancedFinding);
  return [...basic, ...enhanced];
}

function snapshotKey(findings: readonly Finding[]): string {
  return JSON.stringify(findings.map((f) => JSON.stringify([f.id, f.arn ?? '', f.severity, f.package, f.installedVersion])).sort());
}

// ---------------------------------------------------------------- polling

interface PollState {
  target: ScanTarget;
  label: string;
  lastStatus: string;
  scanStarted: boolean;
  firstMissingAt?: number;
  /** Key of the previous complete snapshot, to confirm against. */
  snapshotKey: string | undefined;
  done?: PlatformFindings;
}

class ScanPoller {
  private readonly pollIntervalMs: number;
  private readonly graceMs: number;

  constructor(
    private readonly options: ScanGateOptions,
    private mode: ScanningMode,
  ) {
    this.pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    this.graceMs = options.scanStartGraceMs ?? DEFAULT_SCAN_START_GRACE_MS;
  }

  get scanType(): ScanType {
    return this.mode.scanType ?? 'BASIC';
  }

  async waitForAll(targets: readonly ScanTarget[]): Promise<PlatformFindings[]> {
    const { clock, sleep } = this.options.runtime;
    const deadline = clock.now() + this.options.timeoutMs;
    const states: PollState[] = targets.map((target) => ({
      target,
      label: target.platform ?? target.digest,
      lastStatus: 'NOT_STARTED',
      scanStarted: false,
      snapshotKey: undefined,
    }));
    for (;;) {
      for (const state of states) {
        if (state.done === undefined) await this.poll(state);
      }
      const pending = states.filter((state) => state.done === undefined);
      if (pending.length === 0) return states.map((state) => state.done as PlatformFindings);
      const remaining = deadline - clock.now();
      if (remaining <= 0) {
        const waitingFor = pending.map((state) => `${state.label}: ${state.lastStatus}`).join(', ');
        throw new ScanGateError(
          'timeout',
          `scan gate: timed out after ${Math.round(this.options.timeoutMs / 1000)} s waiting for scan results of ` +
            `${this.options.repositoryName} (${waitingFor}); raise scan-timeout-seconds or check the scan in the ECR console`,
        );
      }
      await sleep(Math.min(this.pollIntervalMs, remaining));
    }
  }

  private async poll(state: PollState): Promise<void> {
    const { logger } = this.options.runtime;
    let first: DescribeImageScanFindingsResponse;
    try {
      first = await this.page(state.target.digest, undefined);
    } catch (error) {
      if (errorName(error) !== 'ScanNotFoundException') throw error;
      this.setStatus(state, 'NOT_FOUND');
      state.snapshotKey = undefined;
      await this.maybeStartScan(state);
      return;
    }
    const status = first.imageScanStatus?.status ?? 'UNKNOWN';
    const description = first.imageScanStatus?.description;
    this.setStatus(state, status);
    if (this.mode.scanType === undefined && (status === 'ACTIVE' || first.imageScanFindings?.enhancedFindings !== undefined)) {
      this.mode = { ...this.mode, scanType: 'ENHANCED' };
    }

    const advice = FAILED_STATUS_ADVICE[status];
    if (advice !== undefined) {
      throw new ScanGateError(
        'scan-failed',
        `scan gate: the scan of ${this.options.repositoryName}@${state.target.digest} (${state.label}) is ${status}` +
          `${description ? `: ${description}` : ''}; ${advice}`,
      );
    }
    if (!RESULT_STATUSES.has(status)) {
      // IN_PROGRESS, PENDING, or a status this code does not know yet: wait.
      if (!WAITING_STATUSES.has(status)) logger.debug(`scan gate: unrecognised scan status ${status} for ${state.label}; waiting`);
      state.snapshotKey = undefined;
      return;
    }

    const findings = findingsOf(first);
    let nextToken = first.nextToken;
    while (nextToken !== undefined && nextToken !== '') {
      const page = await this.page(state.target.digest, nextToken);
      findings.push(...findingsOf(page));
      nextToken = page.nextToken;
    }
    const key = snapshotKey(findings);
    // Findings can still arrive after COMPLETE: accept only two consecutive agreeing snapshots.
    if (state.snapshotKey === key) {
      state.done = {
        digest: state.target.digest,
        ...(state.target.platform !== undefined ? { platform: state.target.platform } : {}),
        status,
        ...(description !== undefined && description !== '' ? { statusDescription: description } : {}),
        findings,
      };
      logger.info(`scan gate: ${state.label} scanned (${status}), ${findings.length} active finding(s)`);
      return;
    }
    state.snapshotKey = key;
    logger.debug(`scan gate: ${state.label} has ${findings.length} finding(s); polling again to confirm`);
  }

  private page(digest: string, nextToken: string | undefined): Promise<DescribeImageScanFindingsResponse> {
    const { ecr, registryId, repositoryName } = this.options;
    return ecr.send(
      new DescribeImageScanFindingsCommand({
        ...registryField(registryId),
        repositoryName,
        imageId: { imageDigest: digest },
        maxResults: 1000,
        ...(nextToken !== undefined ? { nextToken } : {}),
      }),
    );
  }

  private setStatus(state: PollState, status: string): void {
    if (state.lastStatus !== status) this.options.runtime.logger.info(`scan gate: ${state.label} scan status ${status}`);
    state.lastStatus = status;
  }

  /** Basic scanning only, and at most once per manifest: ECR allows one scan per image per 24 h. */
  private async maybeStartScan(state: PollState): Promise<void> {
    if (this.mode.scanType !== 'BASIC' || state.scanStarted) return;
    const now = this.options.runtime.clock.now();
    state.firstMissingAt ??= now;
    if (this.mode.coverage === 'on-push' && now - state.firstMissingAt < this.graceMs) return;

    const { ecr, registryId, repositoryName, runtime } = this.options;
    state.scanStarted = true;
    try {
      await ecr.send(new StartImageScanCommand({ ...registryField(registryId), repositoryName, imageId: { imageDigest: state.target.digest } }));
      runtime.logger.info(`scan gate: started a basic scan of ${state.label}`);
    } catch (error) {
      if (errorName(error) === 'LimitExceededException') {
        runtime.logger.info(`scan gate: ${state.label} was already scanned in the last 24 hours; waiting for that scan's results`);
        return;
      }
      throw new ScanGateError(
        'scan-not-startable',
        `scan gate: cannot start a scan of ${repositoryName}@${state.target.digest} (${errorName(error) || 'error'}: ${errorMessage(error)}); ` +
          'enable scan-on-push or add a registry scanning rule for the repository',
      );
    }
  }
}

// ---------------------------------------------------------------- gate

/** Waits for scan results of every platform manifest and evaluates the policy. Throws ScanGateError when it cannot decide. */
export async function runScanGate(options: ScanGateOptions): Promise<GateResult> {
  const { runtime, repositoryName } = options;
  const resolved = await resolveImage(options);
  runtime.logger.info(
    `scan gate: ${repositoryName}@${resolved.digest}, ${resolved.targets.length} platform manifest(s) to check at threshold ${options.threshold}`,
  );
  const mode = await readScanningMode(options);
  const poller = new ScanPoller(options, mode);
  const platforms = await poller.waitForAll(resolved.targets);
  const policy = evaluatePolicy({ platforms, threshold: options.threshold, ignore: options.ignore, now: runtime.clock.now() });
  return {
    verdict: policy.verdict,
    repositoryName,
    imageDigest: resolved.digest,
    imageMediaType: resolved.mediaType,
    threshold: options.threshold,
    scanType: poller.scanType,
    platforms: policy.platforms,
    failing: policy.failing,
    expiredIgnores: policy.expiredIgnores,
    unmatchedIgnores: policy.unmatchedIgnores,
  };
}

export interface ScanFindingsOutput {
  repository: string;
  digest: string;
  verdict: 'pass' | 'fail';
  scanType: ScanType;
  platforms: { digest: string; platform?: string; counts: SeverityCounts }[];
}

/** The `scan-findings` output entry for one gated image: severity counts per platform. */
export function scanFindingsOutput(result: GateResult): ScanFindingsOutput {
  return {
    repository: result.repositoryName,
    digest: result.imageDigest,
    verdict: result.verdict,
    scanType: result.scanType,
    platforms: result.platforms.map((p) => ({ digest: p.digest, ...(p.platform !== undefined ? { platform: p.platform } : {}), counts: p.counts })),
  };
}

export interface GateAndPromoteOptions extends ScanGateOptions {
  promoteTags: readonly string[];
}

export interface GateAndPromoteResult {
  gate: GateResult;
  /** Absent when the gate failed or there were no promote tags. */
  promotion?: PromotionResult;
}

/**
 * The only road to promotion: gate first, promote the digest the gate resolved (never the tag,
 * which may have moved meanwhile), and only on `pass`. A timeout or scan error throws before any tag is written.
 */
export async function gateAndPromote(options: GateAndPromoteOptions): Promise<GateAndPromoteResult> {
  const gate = await runScanGate(options);
  if (gate.verdict !== 'pass') {
    options.runtime.logger.info(`scan gate failed for ${gate.repositoryName}@${gate.imageDigest}; no promote tag applied`);
    return { gate };
  }
  if (options.promoteTags.length === 0) return { gate };
  const promotion = await promoteImage({
    ecr: options.ecr,
    registryId: options.registryId,
    repositoryName: options.repositoryName,
    digest: gate.imageDigest,
    tags: options.promoteTags,
    runtime: options.runtime,
  });
  return { gate, promotion };
}

export interface ReleaseGateEntry {
  repositoryName: string;
  digest: string;
  gate?: GateResult;
  /** Why this image has no verdict (timeout, scan failed, not covered) or was not promoted. */
  error?: string;
  promotion?: PromotionResult;
}

export interface ReleaseGateOptions extends Omit<ScanGateOptions, 'repositoryName' | 'image' | 'threshold'> {
  /** Without a threshold there is no gate: promotion alone. */
  threshold: Severity | 'NONE';
  promoteTags: readonly string[];
}

/**
 * Gates a whole release, then promotes it: every image is gated first, and promote tags are
 * applied only when every gate passed, so a release is never half-promoted. Errors are recorded
 * per image rather than thrown, so the report still tells what was published.
 */
export async function gateAndPromoteRelease(
  images: readonly { repositoryName: string; digest: string }[],
  options: ReleaseGateOptions,
): Promise<{ passed: boolean; entries: ReleaseGateEntry[] }> {
  const entries: ReleaseGateEntry[] = images.map((image) => ({ ...image }));
  const { threshold } = options;
  if (threshold !== 'NONE') {
    await Promise.all(
      entries.map(async (entry) => {
        try {
          entry.gate = await runScanGate({ ...options, threshold, repositoryName: entry.repositoryName, image: { digest: entry.digest } });
        } catch (error) {
          entry.error = (error as Error).message;
        }
      }),
    );
  }
  const passed = entries.every((entry) => entry.error === undefined && (entry.gate === undefined || entry.gate.verdict === 'pass'));
  if (!passed) {
    if (options.promoteTags.length > 0) options.runtime.logger.info('scan gate: not every image passed; no promote tag applied to any image of this release');
    return { passed, entries };
  }
  for (const entry of entries) {
    if (options.promoteTags.length === 0) break;
    try {
      entry.promotion = await promoteImage({
        ecr: options.ecr,
        registryId: options.registryId,
        repositoryName: entry.repositoryName,
        digest: entry.gate?.imageDigest ?? entry.digest,
        tags: options.promoteTags,
        runtime: options.runtime,
      });
    } catch (error) {
      entry.error = (error as Error).message;
    }
  }
  return { passed: entries.every((entry) => entry.error === undefined), entries };
}
