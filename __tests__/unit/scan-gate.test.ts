import { beforeEach, describe, expect, it } from '@jest/globals';
import {
  BatchGetImageCommand,
  DescribeImageScanFindingsCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  GetRegistryScanningConfigurationCommand,
  LimitExceededException,
  PutImageCommand,
  ScanNotFoundException,
  StartImageScanCommand,
  type DescribeImageScanFindingsCommandInput,
  type DescribeImageScanFindingsResponse,
  type EnhancedImageScanFinding,
  type ImageScanFinding,
  type RegistryScanningRule,
} from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { scanFindingsOutput } from '../../src/action/gate-report.js';
import { ScanGateError } from '../../src/aws/scan/common.js';
import { repositoryFilterMatches } from '../../src/aws/scan/coverage.js';
import { runScanGate, type ScanGateOptions } from '../../src/aws/scan/gate.js';
import { gateAndPromoteRelease, type ReleaseGateOptions } from '../../src/aws/scan/release-gate.js';
import { sha256Digest } from '../../src/oci/digest.js';
import { DOCKER_MANIFEST, MANIFEST_MEDIA_TYPES, OCI_INDEX, OCI_MANIFEST } from '../../src/oci/media-types.js';
import { capturingLogger, virtualRuntime } from '../support/runtime.js';

const AMD64 = 'sha256:' + '1'.repeat(64);
const ARM64 = 'sha256:' + '2'.repeat(64);
const ATTESTATION = 'sha256:' + '3'.repeat(64);
const INDEX = JSON.stringify({
  schemaVersion: 2,
  mediaType: OCI_INDEX,
  manifests: [
    { mediaType: OCI_MANIFEST, digest: AMD64, size: 500, platform: { os: 'linux', architecture: 'amd64' } },
    {
      mediaType: OCI_MANIFEST,
      digest: ARM64,
      size: 500,
      platform: { os: 'linux', architecture: 'arm64', variant: 'v8' },
    },
    { mediaType: OCI_MANIFEST, digest: ATTESTATION, size: 300, platform: { os: 'unknown', architecture: 'unknown' } },
  ],
});
const INDEX_DIGEST = sha256Digest(Buffer.from(INDEX, 'utf8'));
const SINGLE = JSON.stringify({ schemaVersion: 2, mediaType: DOCKER_MANIFEST, config: {}, layers: [] });
const SINGLE_DIGEST = sha256Digest(Buffer.from(SINGLE, 'utf8'));
const START = Date.parse('2025-06-15T12:00:00Z');

// ---------------------------------------------------------------- fakes

type FakeRuntime = ReturnType<typeof fakeRuntime>;

/** Virtual time from START and a capturing logger, under the names these tests read. */
function fakeRuntime() {
  const logger = capturingLogger();
  const runtime = virtualRuntime(logger, START);
  return { ...runtime, sleeps: runtime.slept, messages: logger.entries };
}

/** One answer to a first-page DescribeImageScanFindings call. */
type Step =
  | { notFound: true }
  | { status: string; description?: string; pages?: DescribeImageScanFindingsResponse['imageScanFindings'][] };

/** Scripted scan results per manifest digest: each poll takes the next step; the last one repeats. */
function scriptScans(script: Record<string, Step[]>): { polls: (digest: string) => number } {
  const polled = new Map<string, number>();
  ecrMock.on(DescribeImageScanFindingsCommand).callsFake((input: DescribeImageScanFindingsCommandInput) => {
    const digest = input.imageId?.imageDigest ?? '';
    const steps = script[digest];
    if (steps === undefined) throw new Error(`test: nobody should poll ${digest}`);
    let count = polled.get(digest) ?? 0;
    if (input.nextToken === undefined) polled.set(digest, ++count);
    const step = steps[Math.min(count, steps.length) - 1];
    if (step === undefined || 'notFound' in step) {
      throw new ScanNotFoundException({
        message: `Image scan does not exist for the image with '{imageDigest:${digest}}'`,
        $metadata: {},
      });
    }
    const pages = step.pages ?? [{}];
    const pageIndex = input.nextToken === undefined ? 0 : Number(input.nextToken.slice(1));
    return {
      imageId: { imageDigest: digest },
      imageScanStatus: { status: step.status, ...(step.description ? { description: step.description } : {}) },
      imageScanFindings: pages[pageIndex],
      ...(pageIndex + 1 < pages.length ? { nextToken: `p${pageIndex + 1}` } : {}),
    } as DescribeImageScanFindingsResponse;
  });
  return { polls: (digest) => polled.get(digest) ?? 0 };
}

function basicFinding(name: string, severity: string, pkg = 'openssl', version = '3.0.2'): ImageScanFinding {
  return {
    name,
    severity: severity as ImageScanFinding['severity'],
    uri: `https://security-tracker.debian.org/tracker/${name}`,
    attributes: [
      { key: 'package_name', value: pkg },
      { key: 'package_version', value: version },
    ],
  };
}

function enhancedFinding(id: string, severity: string, status = 'ACTIVE'): EnhancedImageScanFinding {
  return {
    findingArn: `arn:aws:inspector2:us-east-1:123456789012:finding/${id.toLowerCase()}`,
    severity,
    status,
    fixAvailable: 'YES',
    packageVulnerabilityDetails: {
      vulnerabilityId: id,
      vulnerablePackages: [{ name: 'libssl3', version: '3.0.2', fixedInVersion: '3.0.13' }],
    },
  };
}

function registry(scanType: 'BASIC' | 'ENHANCED', rules: RegistryScanningRule[]): void {
  ecrMock
    .on(GetRegistryScanningConfigurationCommand)
    .resolves({ registryId: '123456789012', scanningConfiguration: { scanType, rules } });
}

function rule(scanFrequency: RegistryScanningRule['scanFrequency'], filter = '*'): RegistryScanningRule {
  return { scanFrequency, repositoryFilters: [{ filter, filterType: 'WILDCARD' }] };
}

function storedImage(manifest: string, mediaType: string, digest: string): void {
  ecrMock.on(BatchGetImageCommand).resolves({
    images: [
      {
        repositoryName: 'app',
        imageId: { imageDigest: digest, imageTag: 'sha-abc' },
        imageManifest: manifest,
        imageManifestMediaType: mediaType,
      },
    ],
  });
}

const ecr = new ECRClient({ region: 'us-east-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' } });
const ecrMock = mockClient(ecr);
let runtime: FakeRuntime;

function options(overrides: Partial<ScanGateOptions> = {}): ScanGateOptions {
  return {
    ecr,
    repositoryName: 'app',
    image: { tag: 'sha-abc' },
    threshold: 'HIGH',
    ignore: [],
    timeoutMs: 600_000,
    pollIntervalMs: 5000,
    runtime,
    ...overrides,
  };
}

function releaseOptions(overrides: Partial<ReleaseGateOptions> = {}): ReleaseGateOptions {
  return {
    ecr,
    threshold: 'HIGH',
    ignore: [],
    timeoutMs: 600_000,
    pollIntervalMs: 5000,
    runtime,
    promoteTags: ['prod'],
    ...overrides,
  };
}

beforeEach(() => {
  ecrMock.reset();
  runtime = fakeRuntime();
  ecrMock
    .on(DescribeRepositoriesCommand)
    .resolves({ repositories: [{ repositoryName: 'app', imageScanningConfiguration: { scanOnPush: false } }] });
});

// ---------------------------------------------------------------- tests

describe('runScanGate with basic scanning', () => {
  it('resolves once with all media types, skips the attestation, counts severities itself', async () => {
    storedImage(INDEX, OCI_INDEX, INDEX_DIGEST);
    registry('BASIC', [rule('SCAN_ON_PUSH')]);
    const complete: Step = {
      status: 'COMPLETE',
      pages: [
        {
          findings: [basicFinding('CVE-2024-0001', 'MEDIUM'), basicFinding('CVE-2024-0002', 'LOW')],
          findingSeverityCounts: { CRITICAL: 99 },
        },
      ],
    };
    const scans = scriptScans({ [AMD64]: [complete], [ARM64]: [{ status: 'COMPLETE', pages: [{ findings: [] }] }] });

    const result = await runScanGate(options());

    const gets = ecrMock.commandCalls(BatchGetImageCommand);
    expect(gets).toHaveLength(1);
    expect(gets[0]?.args[0].input.imageIds).toEqual([{ imageTag: 'sha-abc' }]);
    expect([...(gets[0]?.args[0].input.acceptedMediaTypes ?? [])].sort()).toEqual([...MANIFEST_MEDIA_TYPES].sort());
    expect(result.verdict).toBe('pass');
    expect(result.scanType).toBe('BASIC');
    expect(result.imageDigest).toBe(INDEX_DIGEST);
    expect(result.platforms.map((p) => [p.platform, p.digest, p.status])).toEqual([
      ['linux/amd64', AMD64, 'COMPLETE'],
      ['linux/arm64/v8', ARM64, 'COMPLETE'],
    ]);
    expect(result.platforms[0]?.counts).toEqual({
      CRITICAL: 0,
      HIGH: 0,
      MEDIUM: 1,
      LOW: 1,
      INFORMATIONAL: 0,
      UNDEFINED: 0,
    });
    expect(result.platforms[0]?.findings[0]).toMatchObject({
      id: 'CVE-2024-0001',
      package: 'openssl',
      installedVersion: '3.0.2',
      severity: 'MEDIUM',
    });
    // Two agreeing snapshots each; the attestation manifest is never polled (the fake would throw).
    expect(scans.polls(AMD64)).toBe(2);
    expect(scans.polls(ARM64)).toBe(2);
    expect(ecrMock.commandCalls(StartImageScanCommand)).toHaveLength(0);
  });

  it('keeps polling after COMPLETE until two consecutive snapshots agree', async () => {
    storedImage(SINGLE, DOCKER_MANIFEST, SINGLE_DIGEST);
    registry('BASIC', [rule('SCAN_ON_PUSH')]);
    const early = [basicFinding('CVE-2024-0001', 'LOW')];
    const late = [...early, basicFinding('CVE-2024-0666', 'CRITICAL', 'zlib', '1.2.11')];
    const scans = scriptScans({
      [SINGLE_DIGEST]: [
        { status: 'IN_PROGRESS' },
        { status: 'COMPLETE', pages: [{ findings: early }] },
        { status: 'COMPLETE', pages: [{ findings: late }] },
        { status: 'COMPLETE', pages: [{ findings: late }] },
      ],
    });

    const result = await runScanGate(options());

    expect(scans.polls(SINGLE_DIGEST)).toBe(4);
    expect(runtime.sleeps).toEqual([5000, 5000, 5000]);
    expect(result.verdict).toBe('fail');
    expect(result.failing.map((f) => [f.id, f.package, f.severity])).toEqual([['CVE-2024-0666', 'zlib', 'CRITICAL']]);
    expect(result.platforms[0]?.platform).toBeUndefined();
  });

  it('follows nextToken through every page', async () => {
    storedImage(SINGLE, DOCKER_MANIFEST, SINGLE_DIGEST);
    registry('BASIC', [rule('SCAN_ON_PUSH', 'ap*')]);
    const pages = [
      { findings: [basicFinding('CVE-2024-0001', 'HIGH'), basicFinding('CVE-2024-0002', 'LOW')] },
      { findings: [basicFinding('CVE-2024-0003', 'LOW')] },
      { findings: [basicFinding('CVE-2024-0004', 'INFORMATIONAL')] },
    ];
    scriptScans({ [SINGLE_DIGEST]: [{ status: 'COMPLETE', pages }] });

    const result = await runScanGate(options({ threshold: 'CRITICAL' }));

    const tokens = ecrMock.commandCalls(DescribeImageScanFindingsCommand).map((call) => call.args[0].input.nextToken);
    expect(tokens).toEqual([undefined, 'p1', 'p2', undefined, 'p1', 'p2']);
    expect(result.platforms[0]?.counts).toEqual({
      CRITICAL: 0,
      HIGH: 1,
      MEDIUM: 0,
      LOW: 2,
      INFORMATIONAL: 1,
      UNDEFINED: 0,
    });
    expect(result.verdict).toBe('pass');
  });

  it('fails fast on FAILED with the status description', async () => {
    storedImage(SINGLE, DOCKER_MANIFEST, SINGLE_DIGEST);
    registry('BASIC', [rule('SCAN_ON_PUSH')]);
    const scans = scriptScans({ [SINGLE_DIGEST]: [{ status: 'FAILED', description: 'The scan could not complete' }] });

    const error = await runScanGate(options()).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ScanGateError);
    expect((error as ScanGateError).reason).toBe('scan-failed');
    expect((error as Error).message).toBe(
      `scan gate: the scan of app@${SINGLE_DIGEST} (${SINGLE_DIGEST}) is FAILED: The scan could not complete; push the image again or start a scan in the ECR console`,
    );
    expect(scans.polls(SINGLE_DIGEST)).toBe(1);
  });

  it('starts a scan once when the repository has no scan-on-push, and keeps polling after LimitExceededException', async () => {
    storedImage(SINGLE, DOCKER_MANIFEST, SINGLE_DIGEST);
    registry('BASIC', []);
    ecrMock
      .on(StartImageScanCommand)
      .rejects(new LimitExceededException({ message: 'scan quota exceeded for the day', $metadata: {} }));
    scriptScans({
      [SINGLE_DIGEST]: [{ notFound: true }, { notFound: true }, { status: 'COMPLETE', pages: [{ findings: [] }] }],
    });

    const result = await runScanGate(options());

    const starts = ecrMock.commandCalls(StartImageScanCommand);
    expect(starts).toHaveLength(1);
    expect(starts[0]?.args[0].input.imageId).toEqual({ imageDigest: SINGLE_DIGEST });
    expect(ecrMock.commandCalls(DescribeRepositoriesCommand)).toHaveLength(1);
    expect(result.verdict).toBe('pass');
    expect(runtime.messages.some((m) => m.message.includes('already scanned in the last 24 hours'))).toBe(true);
  });

  it('under scan-on-push, starts a scan only after the grace period when none appears', async () => {
    storedImage(SINGLE, DOCKER_MANIFEST, SINGLE_DIGEST);
    registry('BASIC', []);
    ecrMock
      .on(DescribeRepositoriesCommand)
      .resolves({ repositories: [{ repositoryName: 'app', imageScanningConfiguration: { scanOnPush: true } }] });
    ecrMock.on(StartImageScanCommand).resolves({ imageScanStatus: { status: 'IN_PROGRESS' } });
    const notFound: Step = { notFound: true };
    scriptScans({
      [SINGLE_DIGEST]: [
        notFound,
        notFound,
        notFound,
        notFound,
        notFound,
        { status: 'COMPLETE', pages: [{ findings: [] }] },
      ],
    });

    await runScanGate(options({ scanStartGraceMs: 15_000 }));

    const starts = ecrMock.commandCalls(StartImageScanCommand);
    expect(starts).toHaveLength(1);
    // Polls at 0, 5, 10 and 15 s find no scan; the one at 15 s has used up the grace and starts one.
    const order = ecrMock.calls().map((call) => (call.args[0] as object).constructor.name);
    const pollsBeforeStart = order
      .slice(0, order.indexOf('StartImageScanCommand'))
      .filter((name) => name === 'DescribeImageScanFindingsCommand');
    expect(pollsBeforeStart).toHaveLength(4);
    expect(runtime.messages.filter((m) => m.message.startsWith('scan gate: started a basic scan')).length).toBe(1);
  });

  it('applies scan-ignore with expiry: an expired entry fails the gate again and is reported', async () => {
    storedImage(SINGLE, DOCKER_MANIFEST, SINGLE_DIGEST);
    registry('BASIC', [rule('SCAN_ON_PUSH')]);
    scriptScans({
      [SINGLE_DIGEST]: [{ status: 'COMPLETE', pages: [{ findings: [basicFinding('CVE-2024-1234', 'CRITICAL')] }] }],
    });

    const stillValid = await runScanGate(
      options({ ignore: [{ id: 'CVE-2024-1234', until: '2025-06-15' }, { id: 'CVE-2020-0001' }] }),
    );
    expect(stillValid.verdict).toBe('pass');
    expect(stillValid.unmatchedIgnores).toEqual([{ id: 'CVE-2020-0001' }]);

    const expired = await runScanGate(options({ ignore: [{ id: 'CVE-2024-1234', until: '2025-06-14' }] }));
    expect(expired.verdict).toBe('fail');
    expect(expired.expiredIgnores).toEqual([{ id: 'CVE-2024-1234', until: '2025-06-14' }]);
    expect(expired.failing.map((f) => f.id)).toEqual(['CVE-2024-1234']);
  });
});

describe('runScanGate with enhanced scanning', () => {
  it('waits through ScanNotFoundException, reads ACTIVE enhanced findings, never starts a scan', async () => {
    storedImage(SINGLE, DOCKER_MANIFEST, SINGLE_DIGEST);
    registry('ENHANCED', [rule('CONTINUOUS_SCAN', 'team/*')]);
    scriptScans({
      [SINGLE_DIGEST]: [
        { notFound: true },
        { notFound: true },
        { status: 'PENDING' },
        {
          status: 'ACTIVE',
          pages: [
            {
              enhancedFindings: [
                enhancedFinding('CVE-2024-0100', 'UNTRIAGED'),
                enhancedFinding('CVE-2024-0200', 'HIGH', 'SUPPRESSED'),
                enhancedFinding('CVE-2024-0300', 'MEDIUM'),
              ],
            },
          ],
        },
      ],
    });

    const result = await runScanGate(options({ repositoryName: 'team/app', threshold: 'MEDIUM' }));

    expect(ecrMock.commandCalls(StartImageScanCommand)).toHaveLength(0);
    expect(ecrMock.commandCalls(DescribeRepositoriesCommand)).toHaveLength(0);
    expect(result.scanType).toBe('ENHANCED');
    expect(result.platforms[0]?.status).toBe('ACTIVE');
    // Issue 11: UNTRIAGED is counted as itself, not as UNDEFINED, and fails the gate whatever the threshold.
    expect(result.platforms[0]?.counts).toEqual({
      CRITICAL: 0,
      HIGH: 0,
      MEDIUM: 1,
      LOW: 0,
      INFORMATIONAL: 0,
      UNDEFINED: 0,
      UNTRIAGED: 1,
    });
    const untriaged = result.platforms[0]?.findings.find((f) => f.id === 'CVE-2024-0100');
    expect(untriaged).toMatchObject({
      severity: 'UNTRIAGED',
      reportedSeverity: 'UNTRIAGED',
      package: 'libssl3',
      installedVersion: '3.0.2',
      fixedInVersion: '3.0.13',
      fixAvailable: 'YES',
      arn: 'arn:aws:inspector2:us-east-1:123456789012:finding/cve-2024-0100',
    });
    expect(result.verdict).toBe('fail');
    expect(result.failing.map((f) => f.id)).toEqual(['CVE-2024-0100', 'CVE-2024-0300']);
  });

  it('fails fast when no enhanced scanning rule covers the repository', async () => {
    storedImage(SINGLE, DOCKER_MANIFEST, SINGLE_DIGEST);
    registry('ENHANCED', [rule('CONTINUOUS_SCAN', 'team/*')]);
    scriptScans({});

    const error = await runScanGate(options({ repositoryName: 'other/app' })).catch((e: unknown) => e);

    expect((error as ScanGateError).reason).toBe('not-covered');
    expect((error as Error).message).toMatch(
      /^scan gate: repository other\/app is not covered by enhanced scanning; add a registry scanning rule/,
    );
    expect(ecrMock.commandCalls(DescribeImageScanFindingsCommand)).toHaveLength(0);
  });
});

describe('timeouts and promotion ordering', () => {
  it('times out with a one-line error naming each pending platform', async () => {
    storedImage(INDEX, OCI_INDEX, INDEX_DIGEST);
    registry('BASIC', [rule('SCAN_ON_PUSH')]);
    scriptScans({ [AMD64]: [{ status: 'COMPLETE', pages: [{ findings: [] }] }], [ARM64]: [{ status: 'IN_PROGRESS' }] });

    const error = await runScanGate(options({ timeoutMs: 60_000 })).catch((e: unknown) => e);

    expect((error as ScanGateError).reason).toBe('timeout');
    expect((error as Error).message).toBe(
      'scan gate: timed out after 60 s waiting for scan results of app (linux/arm64/v8: IN_PROGRESS); raise scan-timeout-seconds or check the scan in the ECR console',
    );
    expect(runtime.elapsed()).toBe(60_000);
  });

  it('promotes nothing when the gate times out', async () => {
    storedImage(INDEX, OCI_INDEX, INDEX_DIGEST);
    registry('BASIC', [rule('SCAN_ON_PUSH')]);
    scriptScans({ [AMD64]: [{ status: 'COMPLETE', pages: [{ findings: [] }] }], [ARM64]: [{ status: 'IN_PROGRESS' }] });
    ecrMock.on(PutImageCommand).resolves({});

    const release = await gateAndPromoteRelease(
      [{ repositoryName: 'app', digest: INDEX_DIGEST }],
      releaseOptions({ timeoutMs: 60_000 }),
    );

    expect(release.passed).toBe(false);
    expect(release.entries[0]?.error).toBe(
      'scan gate: timed out after 60 s waiting for scan results of app (linux/arm64/v8: IN_PROGRESS); raise scan-timeout-seconds or check the scan in the ECR console',
    );
    expect(runtime.elapsed()).toBe(60_000);
    expect(ecrMock.commandCalls(PutImageCommand)).toHaveLength(0);
  });

  it('does not promote when the gate fails', async () => {
    storedImage(SINGLE, DOCKER_MANIFEST, SINGLE_DIGEST);
    registry('BASIC', [rule('SCAN_ON_PUSH')]);
    scriptScans({
      [SINGLE_DIGEST]: [{ status: 'COMPLETE', pages: [{ findings: [basicFinding('CVE-2024-9', 'HIGH')] }] }],
    });
    ecrMock.on(PutImageCommand).resolves({});

    const release = await gateAndPromoteRelease([{ repositoryName: 'app', digest: SINGLE_DIGEST }], releaseOptions());

    expect(release.entries[0]?.gate?.verdict).toBe('fail');
    expect(release.entries[0]?.promotion).toBeUndefined();
    expect(ecrMock.commandCalls(PutImageCommand)).toHaveLength(0);
  });

  it('promotes the digest the gate resolved, byte-exactly, when the gate passes', async () => {
    storedImage(INDEX, OCI_INDEX, INDEX_DIGEST);
    registry('BASIC', [rule('SCAN_ON_PUSH')]);
    scriptScans({ [AMD64]: [{ status: 'COMPLETE', pages: [{}] }], [ARM64]: [{ status: 'COMPLETE', pages: [{}] }] });
    ecrMock.on(PutImageCommand).resolves({});

    const release = await gateAndPromoteRelease([{ repositoryName: 'app', digest: INDEX_DIGEST }], releaseOptions());

    expect(release.entries[0]?.promotion?.tags).toEqual([{ tag: 'prod', outcome: 'tagged' }]);
    // The release gate names images by digest: the gate resolves it once, promotion reads that same digest.
    const gets = ecrMock.commandCalls(BatchGetImageCommand).map((call) => call.args[0].input.imageIds);
    expect(gets).toEqual([[{ imageDigest: INDEX_DIGEST }], [{ imageDigest: INDEX_DIGEST }]]);
    const put = ecrMock.commandCalls(PutImageCommand)[0]?.args[0].input;
    expect(put).toMatchObject({
      repositoryName: 'app',
      imageManifest: INDEX,
      imageManifestMediaType: OCI_INDEX,
      imageDigest: INDEX_DIGEST,
      imageTag: 'prod',
    });
  });
});

describe("another account's registry", () => {
  it('warns, starts no scan, and learns enhanced scanning from the ACTIVE status', async () => {
    storedImage(SINGLE, DOCKER_MANIFEST, SINGLE_DIGEST);
    registry('BASIC', []);
    scriptScans({
      [SINGLE_DIGEST]: [
        { notFound: true },
        { status: 'ACTIVE', pages: [{ enhancedFindings: [enhancedFinding('CVE-2024-0400', 'LOW')] }] },
      ],
    });

    const result = await runScanGate(options({ registryId: '999999999999' }));

    expect(ecrMock.commandCalls(StartImageScanCommand)).toHaveLength(0);
    expect(ecrMock.commandCalls(DescribeImageScanFindingsCommand)[0]?.args[0].input.registryId).toBe('999999999999');
    expect(runtime.messages.filter((m) => m.level === 'warning').map((m) => m.message)).toEqual([
      'scan gate: cannot read the scanning configuration of registry 999999999999 from account 123456789012; waiting for scans without starting any',
    ]);
    expect(result.scanType).toBe('ENHANCED');
    expect(scanFindingsOutput(result)).toEqual({
      repository: 'app',
      digest: SINGLE_DIGEST,
      verdict: 'pass',
      scanType: 'ENHANCED',
      platforms: [
        { digest: SINGLE_DIGEST, counts: { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 1, INFORMATIONAL: 0, UNDEFINED: 0 } },
      ],
    });
  });
});

describe('resolution and filters', () => {
  it('reports an image that is not in the repository in one line', async () => {
    ecrMock.on(BatchGetImageCommand).resolves({
      images: [],
      failures: [
        {
          imageId: { imageTag: 'sha-abc' },
          failureCode: 'ImageTagDoesNotMatchDigest',
          failureReason: 'Requested image not found',
        },
      ],
    });
    await expect(runScanGate(options())).rejects.toThrow(
      'scan gate: image app:sha-abc is not in private ECR (ImageTagDoesNotMatchDigest: Requested image not found)',
    );
  });

  it('matches ECR wildcard filters', () => {
    expect(repositoryFilterMatches('*', 'team/app')).toBe(true);
    expect(repositoryFilterMatches('team/*', 'team/app')).toBe(true);
    expect(repositoryFilterMatches('team/*', 'other/app')).toBe(false);
    expect(repositoryFilterMatches('app', 'app')).toBe(true);
    expect(repositoryFilterMatches('a.p', 'axp')).toBe(false);
    expect(repositoryFilterMatches('*-prod', 'api-prod')).toBe(true);
  });
});
