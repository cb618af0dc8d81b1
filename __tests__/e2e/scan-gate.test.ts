import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { BasicFinding, EnhancedFinding } from '../../testbed/aws-emulator.js';
import {
  OCI_INDEX,
  OCI_MANIFEST,
  pseudoRandomBytes,
  pushImage,
  pushIndex,
  pushManifest,
  serialize,
  sha256,
  type Target,
} from '../../testbed/images.js';
import { skopeoDigestOrNull, skopeoRaw } from '../../testbed/skopeo.js';
import { startWorld, type ActionRun, type World } from '../support/world.js';

interface ScanFindingsEntry {
  repository: string;
  digest: string;
  verdict: 'pass' | 'fail';
  scanType: 'BASIC' | 'ENHANCED';
  platforms: { digest: string; platform?: string; counts: Record<string, number> }[];
}

interface SeededIndex {
  index: string;
  amd64: string;
  arm64: string;
}

/** A two-platform image, as a release would publish it. */
async function seedIndex(target: Target, repository: string, tag: string, seed: number): Promise<SeededIndex> {
  const amd = await pushImage(target, repository, { layers: [pseudoRandomBytes(30_000, seed)] });
  const arm = await pushImage(target, repository, {
    architecture: 'arm64',
    layers: [pseudoRandomBytes(30_000, seed + 1)],
  });
  const index = await pushIndex(
    target,
    repository,
    [
      { manifest: amd, platform: { os: 'linux', architecture: 'amd64' } },
      { manifest: arm, platform: { os: 'linux', architecture: 'arm64' } },
    ],
    { tag },
  );
  return { index: index.digest, amd64: amd.digest, arm64: arm.digest };
}

const lines = (run: ActionRun, command: 'error' | 'warning' | 'notice'): string[] =>
  run.printed.split('\n').filter((line) => line.startsWith(`::${command}`));

/**
 * Issue 5: the scan gate and promotion through `node dist/index.js`, against the AWS emulator's
 * scripted scans and a real registry, checked independently with skopeo. The cases run in order
 * on one world: basic scanning first, then the registry switches to enhanced scanning.
 */
describe('end to end: scan gate and promotion in private ECR', () => {
  let world: World;
  let app: SeededIndex;
  let tool: SeededIndex;
  const creds = () => ({ username: 'AWS', password: world.privateRegistry.password });
  const gateInputs = (extra: Record<string, string>) => ({
    'registry-type': 'private',
    'aws-region': world.aws.region,
    'role-to-assume': world.aws.roleArn,
    'repository-prefix': 'gate/',
    'scan-severity-threshold': 'HIGH',
    'promote-tags': 'prod',
    ...extra,
  });
  const appImages = () => `${world.hub.host}/example/app:1.0.0`;
  const highInOpenssl: BasicFinding = {
    name: 'CVE-2024-0001',
    severity: 'HIGH',
    packageName: 'openssl',
    packageVersion: '3.0.2-0ubuntu1.10',
  };

  beforeAll(async () => {
    world = await startWorld();
    app = await seedIndex({ url: world.source.url }, 'example/app', '1.0.0', 11);
    tool = await seedIndex({ url: world.source.url }, 'example/tool', '2.0.0', 21);
    await seedIndex({ url: world.source.url }, 'example/other', '1.0.0', 31);
    // Basic scanning, no registry rules: the repositories the action creates scan on push.
    world.aws.ecr.setScanning({ scanType: 'BASIC', rules: [] });
    world.aws.ecr.scriptScan('gate/app', app.amd64, [
      {
        status: 'COMPLETE',
        findings: [
          highInOpenssl,
          { name: 'CVE-2024-0002', severity: 'LOW', packageName: 'zlib', packageVersion: '1.2.11' },
        ],
      },
    ]);
    world.aws.ecr.scriptScan('gate/app', app.arm64, [
      {
        status: 'COMPLETE',
        findings: [{ name: 'CVE-2024-0003', severity: 'MEDIUM', packageName: 'curl', packageVersion: '7.81.0' }],
      },
    ]);
  }, 60_000);

  afterAll(async () => {
    await world?.close();
  });

  describe('a HIGH finding at threshold HIGH', () => {
    let run: ActionRun;
    beforeAll(async () => {
      run = await world.runAction(gateInputs({ images: appImages() }));
    }, 120_000);

    it('fails the run and applies no promote tag (checked with skopeo)', async () => {
      expect(run.code).not.toBe(0);
      expect(await skopeoDigestOrNull(`${world.privateRegistry.host}/gate/app:1.0.0`, creds())).toBe(app.index);
      expect(await skopeoDigestOrNull(`${world.privateRegistry.host}/gate/app:prod`, creds())).toBeNull();
      expect(world.aws.calls.filter((c) => c.operation === 'PutImage')).toEqual([]);
    });

    it('annotates the failing finding as an error, and nothing below the threshold', () => {
      const errors = lines(run, 'error');
      const findingErrors = errors.filter((line) => line.includes('CVE-'));
      expect(findingErrors).toHaveLength(1);
      expect(findingErrors[0]).toContain('CVE-2024-0001');
      expect(findingErrors[0]).toContain('HIGH');
      expect(findingErrors[0]).toContain('openssl');
      expect(findingErrors[0]).toContain('linux/amd64');
      expect(errors.at(-1)).toMatch(/^::error::Scan gate failed/);
    });

    it('outputs severity counts per image and platform in scan-findings', () => {
      const findings = JSON.parse(run.outputs['scan-findings']!) as ScanFindingsEntry[];
      expect(findings).toHaveLength(1);
      const [entry] = findings;
      expect(entry).toMatchObject({ repository: 'gate/app', digest: app.index, verdict: 'fail', scanType: 'BASIC' });
      expect(entry!.platforms).toEqual([
        {
          digest: app.amd64,
          platform: 'linux/amd64',
          counts: { CRITICAL: 0, HIGH: 1, MEDIUM: 0, LOW: 1, INFORMATIONAL: 0, UNDEFINED: 0 },
        },
        {
          digest: app.arm64,
          platform: 'linux/arm64',
          counts: { CRITICAL: 0, HIGH: 0, MEDIUM: 1, LOW: 0, INFORMATIONAL: 0, UNDEFINED: 0 },
        },
      ]);
    });

    it('shows the verdict and the findings table in the job summary', () => {
      expect(run.summary).toContain('Scan gate failed for gate/app@' + app.index);
      for (const header of ['Vulnerability', 'Severity', 'Package', 'Installed version', 'Fix available'])
        expect(run.summary).toContain(`<th>${header}</th>`);
      const row = /<tr><td>CVE-2024-0001<\/td>.*?<\/tr>/.exec(run.summary)?.[0];
      expect(row).toBeDefined();
      expect(row).toContain('<td>HIGH</td>');
      expect(row).toContain('<td>openssl</td>');
      expect(row).toContain('<td>3.0.2-0ubuntu1.10</td>');
      expect(row).toContain('<td>fails</td>');
      expect(row).toContain('<td>–</td>'); // basic scanning says nothing about fixes
      expect(run.summary).not.toMatch(/<td>(?=<td>|<\/tr>)/); // every cell closed
      // Severity counts per platform: CRITICAL and HIGH (the gate's), MEDIUM and LOW (found), then the scan status;
      // INFORMATIONAL and UNDEFINED, zero everywhere, get no column.
      expect(run.summary).toMatch(
        /<tr><th>Platform<\/th><th>Digest<\/th><th>CRITICAL<\/th><th>HIGH<\/th><th>MEDIUM<\/th><th>LOW<\/th><th>Scan status<\/th><\/tr>/,
      );
      expect(run.summary).toMatch(
        /<tr><td>linux\/amd64<\/td><td>[0-9a-f]{12}<\/td><td>0<\/td><td>1<\/td><td>0<\/td><td>1<\/td><td>COMPLETE<\/td><\/tr>/,
      );
      expect(run.summary).toMatch(
        /<tr><td>linux\/arm64<\/td><td>[0-9a-f]{12}<\/td><td>0<\/td><td>0<\/td><td>1<\/td><td>0<\/td><td>COMPLETE<\/td><\/tr>/,
      );
    });
  });

  it('an expired scan-ignore entry ignores nothing: the run fails again, with a warning naming the entry', async () => {
    const run = await world.runAction(
      gateInputs({ images: appImages(), 'scan-ignore': 'CVE-2024-0001 until 2020-01-01' }),
    );
    expect(run.code).not.toBe(0);
    const warnings = lines(run, 'warning').filter((line) => line.includes('CVE-2024-0001'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/expired/);
    expect(warnings[0]).toContain('2020-01-01');
    expect(lines(run, 'error').some((line) => line.includes('CVE-2024-0001'))).toBe(true);
    expect(await skopeoDigestOrNull(`${world.privateRegistry.host}/gate/app:prod`, creds())).toBeNull();
  }, 120_000);

  describe('the same finding ignored', () => {
    let run: ActionRun;
    beforeAll(async () => {
      run = await world.runAction(
        gateInputs({ images: appImages(), 'scan-ignore': 'CVE-2024-0001\nCVE-2031-99999  # never found' }),
      );
    }, 120_000);

    it('passes and promotes prod to the same digest, byte for byte (checked with skopeo)', async () => {
      expect(lines(run, 'error')).toEqual([]);
      expect(run.code).toBe(0);
      const byDigest = await skopeoRaw(`${world.privateRegistry.host}/gate/app@${app.index}`, creds());
      const prod = await skopeoRaw(`${world.privateRegistry.host}/gate/app:prod`, creds());
      expect(prod.digest).toBe(app.index);
      expect(prod.bytes.equals(byDigest.bytes)).toBe(true);
      const puts = world.aws.calls.filter((c) => c.operation === 'PutImage' && c.allowed);
      expect(puts.map((c) => c.params.imageTag)).toEqual(['prod']);
      expect(puts[0]!.params.imageDigest).toBe(app.index);
    });

    it('gives a notice for the ignore entry that matched nothing', () => {
      const notices = lines(run, 'notice').filter((line) => line.includes('CVE-2031-99999'));
      expect(notices).toHaveLength(1);
      expect(lines(run, 'notice').filter((line) => line.includes('CVE-2024-0001'))).toEqual([]);
    });

    it('shows the pass, the ignored finding and the promotion in the job summary', () => {
      expect(run.summary).toContain('Scan gate passed for gate/app@' + app.index);
      expect(/<tr><td>CVE-2024-0001<\/td>.*?<\/tr>/.exec(run.summary)?.[0]).toContain('<td>ignored</td>');
      expect(run.summary).toMatch(/Promoted .*gate\/app/);
      expect(run.summary).toMatch(/<td>prod<\/td><td>tagged<\/td>/);
      const findings = JSON.parse(run.outputs['scan-findings']!) as ScanFindingsEntry[];
      expect(findings[0]?.verdict).toBe('pass');
      expect(findings[0]?.platforms[0]?.counts.HIGH).toBe(1); // ignored findings still count
    });
  });

  it('many failing findings: error annotations stop at 20 and the summary table says how many rows it left out', async () => {
    const bulk = await pushImage(
      { url: world.source.url },
      'example/bulk',
      { layers: [pseudoRandomBytes(10_000, 51)] },
      '1.0.0',
    );
    const findings: BasicFinding[] = Array.from({ length: 25 }, (_, i) => ({
      name: `CVE-2024-${1001 + i}`,
      severity: 'CRITICAL',
      packageName: `lib${i}`,
      packageVersion: '1.0',
    }));
    world.aws.ecr.scriptScan('gate/bulk', bulk.digest, [{ status: 'COMPLETE', findings }]);
    const run = await world.runAction(gateInputs({ images: `${world.hub.host}/example/bulk:1.0.0` }));
    expect(run.code).not.toBe(0);
    const findingErrors = lines(run, 'error').filter((line) => line.startsWith('::error::Scan gate: CVE-'));
    expect(findingErrors).toHaveLength(20);
    expect(lines(run, 'error')).toContain('::error::Scan gate: 5 more failing finding(s); see the job summary');
    expect(run.summary.match(/<tr><td>CVE-2024-1\d{3}<\/td>/g)).toHaveLength(20);
    expect(run.summary).toContain('<td>… and 5 more</td>');
  }, 120_000);

  it('gate-only use: an image already in a nested private repository is not copied, then gated, then promoted', async () => {
    const registry: Target = { url: world.privateRegistry.url, authorization: world.privateRegistry.authorization };
    world.aws.ecr.addRepository('team/checkout', { scanOnPush: true });
    const image = await pushImage(
      registry,
      'team/checkout',
      { layers: [pseudoRandomBytes(40_000, 41)] },
      'sha-abc1234',
    );
    world.aws.ecr.scriptScan('team/checkout', image.digest, [
      {
        status: 'COMPLETE',
        findings: [{ name: 'CVE-2024-0100', severity: 'LOW', packageName: 'bash', packageVersion: '5.1' }],
      },
    ]);
    world.hub.front.reset();
    const callsBefore = world.aws.calls.length;

    const run = await world.runAction({
      images: `${world.privateRegistry.host}/team/checkout:sha-abc1234`,
      'registry-type': 'private',
      'aws-region': world.aws.region,
      'role-to-assume': world.aws.roleArn,
      tags: '{{tag}}',
      'scan-severity-threshold': 'HIGH',
      'promote-tags': 'prod',
    });

    expect(lines(run, 'error')).toEqual([]);
    expect(run.code).toBe(0);
    const [published] = JSON.parse(run.outputs.images!) as {
      repository: string;
      digest: string;
      bytesUploaded: number;
      bytesMounted: number;
    }[];
    expect(published).toMatchObject({
      repository: `${world.privateRegistry.host}/team/checkout`,
      digest: image.digest,
      bytesUploaded: 0,
      bytesMounted: 0,
    });
    expect(world.hub.front.exchanges).toEqual([]);
    expect(
      world.aws.calls.some((c) => c.operation === 'CreateRepository' && c.params.repositoryName === 'team/checkout'),
    ).toBe(false);
    // Gate, then promotion: every scan read comes before the tag write.
    const calls = world.aws.calls.slice(callsBefore).filter((c) => c.params.repositoryName === 'team/checkout');
    const lastScanRead = calls.map((c) => c.operation).lastIndexOf('DescribeImageScanFindings');
    const put = calls.findIndex((c) => c.operation === 'PutImage');
    expect(lastScanRead).toBeGreaterThan(-1);
    expect(put).toBeGreaterThan(lastScanRead);
    expect(await skopeoDigestOrNull(`${world.privateRegistry.host}/team/checkout:prod`, creds())).toBe(image.digest);
    const findings = JSON.parse(run.outputs['scan-findings']!) as ScanFindingsEntry[];
    expect(findings).toEqual([
      {
        repository: 'team/checkout',
        digest: image.digest,
        verdict: 'pass',
        scanType: 'BASIC',
        platforms: [
          { digest: image.digest, counts: { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 1, INFORMATIONAL: 0, UNDEFINED: 0 } },
        ],
      },
    ]);
  }, 120_000);

  /** An image pushed straight into private ECR, for gate-only runs. */
  async function seedInPrivateEcr(
    repository: string,
    tag: string,
    seed: number,
    settings: { scanOnPush?: boolean; imageTagMutability?: 'MUTABLE' | 'IMMUTABLE' } = {},
  ): Promise<string> {
    if (!world.aws.ecr.repositories.has(repository))
      world.aws.ecr.addRepository(repository, { scanOnPush: true, ...settings });
    const registry: Target = { url: world.privateRegistry.url, authorization: world.privateRegistry.authorization };
    return (await pushImage(registry, repository, { layers: [pseudoRandomBytes(5_000, seed)] }, tag)).digest;
  }
  const gateOnly = (reference: string, extra: Record<string, string> = {}) =>
    world.runAction({
      images: `${world.privateRegistry.host}/${reference}`,
      'registry-type': 'private',
      'aws-region': world.aws.region,
      'role-to-assume': world.aws.roleArn,
      tags: '{{tag}}',
      'scan-severity-threshold': 'HIGH',
      'promote-tags': 'prod',
      ...extra,
    });

  it('a repository without scan-on-push under basic scanning: the gate starts one scan and waits for it', async () => {
    const digest = await seedInPrivateEcr('manual', 'v1', 61, { scanOnPush: false });
    const run = await gateOnly('manual:v1');
    expect(lines(run, 'error')).toEqual([]);
    expect(run.code).toBe(0);
    expect(
      world.aws.calls
        .filter((c) => c.operation === 'StartImageScan' && c.params.repositoryName === 'manual')
        .map((c) => c.params.imageId),
    ).toEqual([{ imageDigest: digest }]);
    expect(await skopeoDigestOrNull(`${world.privateRegistry.host}/manual:prod`, creds())).toBe(digest);
  }, 120_000);

  it('a scan that never finishes times out at scan-timeout-seconds: the run fails and applies no tag', async () => {
    const digest = await seedInPrivateEcr('slow', 'v1', 62);
    world.aws.ecr.scriptScan('slow', digest, [{ status: 'IN_PROGRESS' }]);
    const started = Date.now();
    const run = await gateOnly('slow:v1', { 'scan-timeout-seconds': '2' });
    expect(run.code).not.toBe(0);
    expect(lines(run, 'error')).toEqual([
      `::error::scan gate: timed out after 2 s waiting for scan results of slow (${digest}: IN_PROGRESS); raise scan-timeout-seconds or check the scan in the ECR console`,
    ]);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(await skopeoDigestOrNull(`${world.privateRegistry.host}/slow:prod`, creds())).toBeNull();
  }, 120_000);

  it('an image ECR cannot scan fails at once with advice, and applies no tag', async () => {
    const digest = await seedInPrivateEcr('distroless', 'v1', 63);
    world.aws.ecr.scriptScan('distroless', digest, [{ status: 'UNSUPPORTED_IMAGE' }]);
    const run = await gateOnly('distroless:v1');
    expect(run.code).not.toBe(0);
    const errors = lines(run, 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/UNSUPPORTED_IMAGE.*gate on another scanner or drop scan-severity-threshold/);
    expect(world.aws.ecr.scan.pollCount('distroless', digest)).toBe(1);
    expect(await skopeoDigestOrNull(`${world.privateRegistry.host}/distroless:prod`, creds())).toBeNull();
  }, 120_000);

  it('promotion into an immutable tag that holds another image fails naming both digests, and leaves the tag alone', async () => {
    const released = await seedInPrivateEcr('locked', 'v1', 64, { imageTagMutability: 'IMMUTABLE' });
    const candidate = await seedInPrivateEcr('locked', 'v2', 65);
    const registry: Target = { url: world.privateRegistry.url, authorization: world.privateRegistry.authorization };
    const current = await skopeoRaw(`${world.privateRegistry.host}/locked:v1`, creds());
    await pushManifest(registry, 'locked', 'prod', { bytes: current.bytes, mediaType: OCI_MANIFEST });
    const run = await gateOnly('locked:v2');
    expect(run.code).not.toBe(0);
    const errors = lines(run, 'error');
    expect(errors).toHaveLength(1);
    // Refused before any write, by the immutable-tag check (issue 14), not halfway at promotion.
    expect(errors[0]).toContain(`tag "prod" of ECR repository "locked" is immutable (IMMUTABLE) and holds ${released}`);
    expect(errors[0]).toContain(`locked:v2 (${candidate})`);
    expect(await skopeoDigestOrNull(`${world.privateRegistry.host}/locked:prod`, creds())).toBe(released);
  }, 120_000);

  it('a release with one failing image promotes none of its images', async () => {
    await seedInPrivateEcr('release-a', 'v1', 71);
    const dirty = await seedInPrivateEcr('release-b', 'v1', 72);
    world.aws.ecr.scriptScan('release-b', dirty, [
      {
        status: 'COMPLETE',
        findings: [{ name: 'CVE-2024-0500', severity: 'CRITICAL', packageName: 'sudo', packageVersion: '1.9' }],
      },
    ]);
    const run = await world.runAction({
      images: `${world.privateRegistry.host}/release-a:v1\n${world.privateRegistry.host}/release-b:v1`,
      'registry-type': 'private',
      'aws-region': world.aws.region,
      'role-to-assume': world.aws.roleArn,
      tags: '{{tag}}',
      'scan-severity-threshold': 'HIGH',
      'promote-tags': 'prod',
    });
    expect(run.code).not.toBe(0);
    expect(await skopeoDigestOrNull(`${world.privateRegistry.host}/release-b:prod`, creds())).toBeNull();
    expect(await skopeoDigestOrNull(`${world.privateRegistry.host}/release-a:prod`, creds())).toBeNull(); // today: promoted
  }, 120_000);

  describe('issue 11: an index is gated through every platform it holds, or fails', () => {
    const privateTarget = (): Target => ({
      url: world.privateRegistry.url,
      authorization: world.privateRegistry.authorization,
    });
    const linux = (architecture: string) => ({ os: 'linux', architecture });

    it('a nested index: a CRITICAL finding in a platform of the inner index fails a HIGH gate, and no prod tag exists', async () => {
      world.aws.ecr.addRepository('nested', { scanOnPush: true });
      const amd = await pushImage(privateTarget(), 'nested', { layers: [pseudoRandomBytes(5_000, 81)] });
      const arm = await pushImage(privateTarget(), 'nested', {
        architecture: 'arm64',
        layers: [pseudoRandomBytes(5_000, 82)],
      });
      const inner = await pushIndex(privateTarget(), 'nested', [{ manifest: arm, platform: linux('arm64') }]);
      const top = await pushIndex(
        privateTarget(),
        'nested',
        [
          { manifest: amd, platform: linux('amd64') },
          { manifest: inner, platform: linux('arm64') },
        ],
        { tag: 'v1' },
      );
      world.aws.ecr.scriptScan('nested', arm.digest, [
        {
          status: 'COMPLETE',
          findings: [{ name: 'CVE-2024-0700', severity: 'CRITICAL', packageName: 'glibc', packageVersion: '2.35' }],
        },
      ]);

      const run = await gateOnly('nested:v1');

      expect(run.code).not.toBe(0);
      const findingErrors = lines(run, 'error').filter((line) => line.includes('CVE-'));
      expect(findingErrors).toHaveLength(1);
      expect(findingErrors[0]).toContain('CVE-2024-0700');
      expect(findingErrors[0]).toContain('linux/arm64');
      const [entry] = JSON.parse(run.outputs['scan-findings']!) as ScanFindingsEntry[];
      expect(entry).toMatchObject({ repository: 'nested', digest: top.digest, verdict: 'fail' });
      expect(entry!.platforms.map((p) => [p.digest, p.platform, p.counts.CRITICAL])).toEqual([
        [amd.digest, 'linux/amd64', 0],
        [arm.digest, 'linux/arm64', 1],
      ]);
      expect(await skopeoDigestOrNull(`${world.privateRegistry.host}/nested:prod`, creds())).toBeNull();
      expect(world.aws.calls.filter((c) => c.operation === 'PutImage' && c.params.repositoryName === 'nested')).toEqual(
        [],
      );
    }, 120_000);

    it('an index entry that is neither a platform image nor an attestation fails the gate, named in the error and the summary', async () => {
      world.aws.ecr.addRepository('platformless', { scanOnPush: true });
      const amd = await pushImage(privateTarget(), 'platformless', { layers: [pseudoRandomBytes(5_000, 83)] });
      const bare = await pushImage(privateTarget(), 'platformless', {
        architecture: 'arm64',
        layers: [pseudoRandomBytes(5_000, 84)],
      });
      const bytes = serialize({
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [
          { mediaType: amd.mediaType, digest: amd.digest, size: amd.size, platform: linux('amd64') },
          { mediaType: bare.mediaType, digest: bare.digest, size: bare.size },
        ],
      });
      await pushManifest(privateTarget(), 'platformless', 'v1', { bytes, mediaType: OCI_INDEX });

      const run = await gateOnly('platformless:v1');

      expect(run.code).not.toBe(0);
      const errors = lines(run, 'error');
      expect(errors).toHaveLength(1);
      const reason = `entry 1 (${bare.digest}) of index ${sha256(bytes)} is an image manifest without a platform`;
      expect(errors[0]).toContain(reason);
      expect(run.summary).toContain(reason);
      expect(await skopeoDigestOrNull(`${world.privateRegistry.host}/platformless:prod`, creds())).toBeNull();
    }, 120_000);
  });

  describe('enhanced (Inspector) scanning', () => {
    const criticalArn = 'arn:aws:inspector2:us-west-2:123456789012:finding/5f1e2d3c4b5a69788796a5b4c3d2e1f0';
    const criticalInGlibc: EnhancedFinding = {
      vulnerabilityId: 'CVE-2024-3000',
      severity: 'CRITICAL',
      packageName: 'libc6',
      packageVersion: '2.35-0ubuntu3.6',
      fixedInVersion: '2.35-0ubuntu3.8',
      findingArn: criticalArn,
    };
    const untriaged: EnhancedFinding = {
      vulnerabilityId: 'CVE-2024-4000',
      severity: 'UNTRIAGED',
      packageName: 'libfoo',
      packageVersion: '1.0',
    };

    beforeAll(() => {
      world.aws.ecr.setScanning({
        scanType: 'ENHANCED',
        rules: [
          { scanFrequency: 'CONTINUOUS_SCAN', repositoryFilters: [{ filter: 'gate/*', filterType: 'WILDCARD' }] },
        ],
      });
      world.aws.ecr.scriptScan('gate/tool', tool.amd64, [
        { status: 'ACTIVE', enhancedFindings: [criticalInGlibc, untriaged] },
      ]);
    });

    it('fails on an ACTIVE critical finding, shows its fix, and never starts a scan', async () => {
      const run = await world.runAction(gateInputs({ images: `${world.hub.host}/example/tool:2.0.0` }));
      expect(run.code).not.toBe(0);
      const findingErrors = lines(run, 'error').filter((line) => line.includes('CVE-'));
      // Issue 11: the UNTRIAGED finding fails the gate too, and says why.
      expect(findingErrors).toHaveLength(2);
      expect(findingErrors[0]).toContain('CVE-2024-3000');
      expect(findingErrors[0]).toContain('2.35-0ubuntu3.8');
      expect(findingErrors[1]).toContain(
        'CVE-2024-4000 is UNTRIAGED: an untriaged finding fails every gate unless listed in scan-ignore',
      );
      const row = /<tr><td>CVE-2024-3000<\/td>.*?<\/tr>/.exec(run.summary)?.[0];
      expect(row).toContain('<td>libc6</td>');
      expect(row).toContain('<td>yes: 2.35-0ubuntu3.8</td>');
      expect(/<tr><td>CVE-2024-4000<\/td>.*?<\/tr>/.exec(run.summary)?.[0]).toContain('UNTRIAGED');
      const [entry] = JSON.parse(run.outputs['scan-findings']!) as ScanFindingsEntry[];
      expect(entry?.scanType).toBe('ENHANCED');
      expect(entry?.platforms.map((p) => p.counts)).toEqual([
        { CRITICAL: 1, HIGH: 0, MEDIUM: 0, LOW: 0, INFORMATIONAL: 0, UNDEFINED: 0, UNTRIAGED: 1 },
        { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, INFORMATIONAL: 0, UNDEFINED: 0 },
      ]);
      expect(
        world.aws.calls.filter((c) => c.operation === 'StartImageScan' && c.params.repositoryName === 'gate/tool'),
      ).toEqual([]);
      expect(await skopeoDigestOrNull(`${world.privateRegistry.host}/gate/tool:prod`, creds())).toBeNull();
    }, 120_000);

    it('with the critical finding ignored by its finding ARN, the UNTRIAGED one still fails even a CRITICAL gate (issue 11)', async () => {
      const run = await world.runAction(
        gateInputs({
          images: `${world.hub.host}/example/tool:2.0.0`,
          'scan-severity-threshold': 'CRITICAL',
          'scan-ignore': `${criticalArn} until 2999-12-31`,
        }),
      );
      expect(run.code).not.toBe(0);
      const findingErrors = lines(run, 'error').filter((line) => line.includes('CVE-'));
      expect(findingErrors).toHaveLength(1);
      expect(findingErrors[0]).toContain(
        'CVE-2024-4000 is UNTRIAGED: an untriaged finding fails every gate unless listed in scan-ignore',
      );
      expect(run.summary).toContain(
        '1 UNTRIAGED or of unknown severity, which fail every gate unless listed in scan-ignore',
      );
      expect(await skopeoDigestOrNull(`${world.privateRegistry.host}/gate/tool:prod`, creds())).toBeNull();
    }, 120_000);

    it('passes with both ignored, the UNTRIAGED one by its ID, and prod is promoted', async () => {
      const run = await world.runAction(
        gateInputs({
          images: `${world.hub.host}/example/tool:2.0.0`,
          'scan-severity-threshold': 'CRITICAL',
          'scan-ignore': `${criticalArn} until 2999-12-31\nCVE-2024-4000`,
        }),
      );
      expect(lines(run, 'error')).toEqual([]);
      expect(run.code).toBe(0);
      expect(await skopeoDigestOrNull(`${world.privateRegistry.host}/gate/tool:prod`, creds())).toBe(tool.index);
      const [entry] = JSON.parse(run.outputs['scan-findings']!) as ScanFindingsEntry[];
      expect(entry?.platforms[0]?.counts).toMatchObject({ CRITICAL: 1, UNDEFINED: 0, UNTRIAGED: 1 }); // ignored findings still count
    }, 120_000);

    it('a repository no scanning rule covers fails fast with advice, before any scan is read', async () => {
      const started = Date.now();
      const run = await world.runAction(
        gateInputs({ images: `${world.hub.host}/example/other:1.0.0`, 'repository-prefix': '' }),
      );
      expect(run.code).not.toBe(0);
      const errors = lines(run, 'error');
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/repository other is not covered by enhanced scanning; add a registry scanning rule/);
      expect(
        world.aws.calls.some((c) => c.operation === 'DescribeImageScanFindings' && c.params.repositoryName === 'other'),
      ).toBe(false);
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(await skopeoDigestOrNull(`${world.privateRegistry.host}/other:prod`, creds())).toBeNull();
    }, 120_000);
  });
});
