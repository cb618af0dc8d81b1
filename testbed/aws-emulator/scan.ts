/** Scripted ECR image scanning: registry scanning configuration, successive scan snapshots, the 24 h StartImageScan quota. */
import { createHash } from 'node:crypto';
import { AwsError } from './http.js';
import { wildcardMatch } from './iam.js';

export type ScanType = 'BASIC' | 'ENHANCED';
export type Severity = 'CRITICAL' | 'HIGH' | 'MEDIUM' | 'LOW' | 'INFORMATIONAL' | 'UNDEFINED' | 'UNTRIAGED';

export interface ScanningRule {
  scanFrequency: 'SCAN_ON_PUSH' | 'CONTINUOUS_SCAN' | 'MANUAL';
  repositoryFilters: { filter: string; filterType: 'WILDCARD' }[];
}

export interface ScanningConfiguration {
  scanType: ScanType;
  rules: ScanningRule[];
}

export interface BasicFinding {
  name: string;
  severity: Severity;
  packageName?: string;
  packageVersion?: string;
  description?: string;
  uri?: string;
}

export interface EnhancedFinding {
  vulnerabilityId: string;
  severity: Severity;
  packageName: string;
  packageVersion: string;
  fixedInVersion?: string;
  findingArn?: string;
  title?: string;
  score?: number;
}

/** One answer of DescribeImageScanFindings. `NOT_FOUND` answers ScanNotFoundException. */
export interface ScanSnapshot {
  status:
    | 'NOT_FOUND'
    | 'PENDING'
    | 'IN_PROGRESS'
    | 'COMPLETE'
    | 'ACTIVE'
    | 'FAILED'
    | 'UNSUPPORTED_IMAGE'
    | 'SCAN_ELIGIBILITY_EXPIRED'
    | 'FINDINGS_UNAVAILABLE';
  description?: string;
  findings?: BasicFinding[];
  enhancedFindings?: EnhancedFinding[];
}

interface Script {
  snapshots: ScanSnapshot[];
  polls: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

function key(repositoryName: string, digest: string): string {
  return `${repositoryName}@${digest}`;
}

export class ScanEmulator {
  configuration: ScanningConfiguration = { scanType: 'BASIC', rules: [] };
  /** Findings per DescribeImageScanFindings page unless the caller asks for fewer. */
  pageSize = 100;
  readonly startedScans: { repositoryName: string; digest: string; at: Date }[] = [];
  private readonly scripts = new Map<string, Script>();
  private readonly repositoryScripts = new Map<string, ScanSnapshot>();

  constructor(
    private readonly accountId: string,
    private readonly region: string,
    private readonly now: () => number,
  ) {}

  setScanning(configuration: ScanningConfiguration): void {
    this.configuration = configuration;
  }

  /** Successive polls (first pages) walk the snapshots; the last one repeats. */
  scriptScan(repositoryName: string, digest: string, snapshots: ScanSnapshot[]): void {
    if (snapshots.length === 0) throw new Error('scriptScan needs at least one snapshot');
    this.scripts.set(key(repositoryName, digest), { snapshots, polls: 0 });
  }

  /**
   * What every image of a repository without a script of its own answers, e.g. IN_PROGRESS until a test has
   * scripted the digests it learns only while the run goes on (a builder mutated on its way).
   */
  scriptRepositoryScan(repositoryName: string, snapshot: ScanSnapshot): void {
    this.repositoryScripts.set(repositoryName, snapshot);
  }

  /** How many first-page DescribeImageScanFindings calls an image has had. */
  pollCount(repositoryName: string, digest: string): number {
    return this.scripts.get(key(repositoryName, digest))?.polls ?? 0;
  }

  hasScript(repositoryName: string, digest: string): boolean {
    return this.scripts.has(key(repositoryName, digest));
  }

  /** Whether registry rules (or, with none, the repository's own scan-on-push) cover a repository. */
  covers(repositoryName: string, repositoryScanOnPush: boolean): boolean {
    if (this.configuration.rules.length === 0) return this.configuration.scanType === 'BASIC' && repositoryScanOnPush;
    return this.configuration.rules.some((rule) =>
      rule.repositoryFilters.some((filter) => wildcardMatch(filter.filter, repositoryName)),
    );
  }

  startImageScan(repositoryName: string, digest: string): void {
    if (this.configuration.scanType === 'ENHANCED')
      throw new AwsError('ValidationException', 'This feature is disabled');
    const now = this.now();
    const recent = this.startedScans.some(
      (scan) => scan.repositoryName === repositoryName && scan.digest === digest && now - scan.at.getTime() < DAY_MS,
    );
    if (recent)
      throw new AwsError('LimitExceededException', 'The scan quota per image has been exceeded. Wait and try again.');
    this.startedScans.push({ repositoryName, digest, at: new Date(now) });
  }

  private defaultSnapshot(repositoryName: string, digest: string, covered: boolean): ScanSnapshot {
    const started = this.startedScans.some((scan) => scan.repositoryName === repositoryName && scan.digest === digest);
    if (this.configuration.scanType === 'ENHANCED')
      return covered ? { status: 'ACTIVE', enhancedFindings: [] } : { status: 'NOT_FOUND' };
    return covered || started ? { status: 'COMPLETE', findings: [] } : { status: 'NOT_FOUND' };
  }

  /** The DescribeImageScanFindings result body (without registry/repository/imageId). */
  describe(
    repositoryName: string,
    digest: string,
    covered: boolean,
    maxResults: number | undefined,
    nextToken: string | undefined,
  ): Record<string, unknown> {
    const script = this.scripts.get(key(repositoryName, digest));
    let snapshotIndex = 0;
    let offset = 0;
    if (nextToken !== undefined) {
      const match = /^(\d+):(\d+)$/.exec(Buffer.from(nextToken, 'base64url').toString('utf8'));
      if (match === null)
        throw new AwsError(
          'InvalidParameterException',
          "Invalid parameter at 'nextToken' failed to satisfy constraint: 'Invalid pagination token'",
        );
      snapshotIndex = Number(match[1]);
      offset = Number(match[2]);
    } else if (script !== undefined) {
      script.polls += 1;
      snapshotIndex = Math.min(script.polls - 1, script.snapshots.length - 1);
    }
    const snapshot =
      script?.snapshots[snapshotIndex] ??
      this.repositoryScripts.get(repositoryName) ??
      this.defaultSnapshot(repositoryName, digest, covered);
    if (snapshot.status === 'NOT_FOUND') {
      throw new AwsError(
        'ScanNotFoundException',
        `Image scan does not exist for the image with '{imageDigest:'${digest}'}' in the repository with name '${repositoryName}' in the registry with id '${this.accountId}'`,
      );
    }
    const imageScanStatus = {
      status: snapshot.status,
      description: snapshot.description ?? this.describeStatus(snapshot.status),
    };
    if (snapshot.status !== 'COMPLETE' && snapshot.status !== 'ACTIVE') return { imageScanStatus };

    const pageSize = Math.min(maxResults ?? this.pageSize, this.pageSize);
    const completedAt = new Date(this.now());
    const findings: Record<string, unknown> = {
      imageScanCompletedAt: completedAt,
      vulnerabilitySourceUpdatedAt: completedAt,
    };
    const all = snapshot.status === 'COMPLETE' ? (snapshot.findings ?? []) : (snapshot.enhancedFindings ?? []);
    const counts: Partial<Record<Severity, number>> = {};
    for (const finding of all) counts[finding.severity] = (counts[finding.severity] ?? 0) + 1;
    findings.findingSeverityCounts = counts;
    const page = all.slice(offset, offset + pageSize);
    if (snapshot.status === 'COMPLETE')
      findings.findings = (page as BasicFinding[]).map((finding) => this.basicFinding(finding));
    else
      findings.enhancedFindings = (page as EnhancedFinding[]).map((finding) =>
        this.enhancedFinding(finding, repositoryName, digest, completedAt),
      );
    const result: Record<string, unknown> = { imageScanStatus, imageScanFindings: findings };
    if (offset + pageSize < all.length)
      result.nextToken = Buffer.from(`${snapshotIndex}:${offset + pageSize}`).toString('base64url');
    return result;
  }

  private describeStatus(status: ScanSnapshot['status']): string {
    switch (status) {
      case 'COMPLETE':
        return 'The scan was completed successfully.';
      case 'ACTIVE':
        return 'Continuous scan is selected for image.';
      case 'UNSUPPORTED_IMAGE':
        return 'The operating system and/or package manager are not supported.';
      case 'FAILED':
        return 'Unable to complete scan.';
      default:
        return `Scan status is ${status}.`;
    }
  }

  private basicFinding(finding: BasicFinding): Record<string, unknown> {
    const attributes = [
      ...(finding.packageVersion === undefined ? [] : [{ key: 'package_version', value: finding.packageVersion }]),
      ...(finding.packageName === undefined ? [] : [{ key: 'package_name', value: finding.packageName }]),
    ];
    return {
      name: finding.name,
      severity: finding.severity,
      uri: finding.uri ?? `https://security-tracker.debian.org/tracker/${finding.name}`,
      ...(finding.description === undefined ? {} : { description: finding.description }),
      attributes,
    };
  }

  private enhancedFinding(
    finding: EnhancedFinding,
    repositoryName: string,
    digest: string,
    at: Date,
  ): Record<string, unknown> {
    const id = createHash('sha256')
      .update(`${repositoryName}@${digest}/${finding.vulnerabilityId}/${finding.packageName}`)
      .digest('hex')
      .slice(0, 32);
    const fixAvailable = finding.fixedInVersion === undefined ? 'NO' : 'YES';
    return {
      awsAccountId: this.accountId,
      findingArn: finding.findingArn ?? `arn:aws:inspector2:${this.region}:${this.accountId}:finding/${id}`,
      description: `${finding.vulnerabilityId} in ${finding.packageName}`,
      title: finding.title ?? `${finding.vulnerabilityId} - ${finding.packageName}`,
      type: 'PACKAGE_VULNERABILITY',
      status: 'ACTIVE',
      severity: finding.severity,
      score: finding.score ?? 0,
      fixAvailable,
      exploitAvailable: 'NO',
      firstObservedAt: at,
      lastObservedAt: at,
      updatedAt: at,
      packageVulnerabilityDetails: {
        vulnerabilityId: finding.vulnerabilityId,
        source: 'NVD',
        sourceUrl: `https://nvd.nist.gov/vuln/detail/${finding.vulnerabilityId}`,
        vendorSeverity: finding.severity,
        vulnerablePackages: [
          {
            name: finding.packageName,
            version: finding.packageVersion,
            packageManager: 'OS',
            ...(finding.fixedInVersion === undefined ? {} : { fixedInVersion: finding.fixedInVersion }),
          },
        ],
      },
      remediation: {
        recommendation: {
          text:
            fixAvailable === 'YES'
              ? `Upgrade ${finding.packageName} to ${finding.fixedInVersion ?? ''}`
              : 'None Provided',
        },
      },
      resources: [
        {
          id: `arn:aws:ecr:${this.region}:${this.accountId}:repository/${repositoryName}/${digest}`,
          type: 'AWS_ECR_CONTAINER_IMAGE',
          details: { awsEcrContainerImage: { repositoryName, imageHash: digest, registry: this.accountId } },
        },
      ],
    };
  }
}
