/** Scan findings in one shape for basic (`findings[]`) and enhanced (`enhancedFindings[]`) scans, page by page. */
import {
  DescribeImageScanFindingsCommand,
  type DescribeImageScanFindingsResponse,
  type EnhancedImageScanFinding,
  type ImageScanFinding,
} from '@aws-sdk/client-ecr';
import { SEVERITIES, type FindingSeverity, type Severity } from '../../inputs.js';
import { registryField } from '../sdk.js';
import type { ScanRepository } from './common.js';

export type FixAvailable = 'YES' | 'NO' | 'PARTIAL' | 'UNKNOWN';

/** One vulnerability in one platform manifest, the same shape for basic and enhanced scanning. */
export interface Finding {
  /** Vulnerability ID: CVE-…, GHSA-…, ALAS-…; the finding ARN when the scanner gave no ID. */
  id: string;
  /** Enhanced (Inspector) findings only. */
  arn?: string;
  /** Severity for the policy: UNTRIAGED stays UNTRIAGED, anything unrecognised (or missing) is UNKNOWN. */
  severity: FindingSeverity;
  /** Severity exactly as ECR reported it, for display. */
  reportedSeverity: string;
  package: string;
  installedVersion: string;
  fixAvailable: FixAvailable;
  fixedInVersion?: string;
  uri?: string;
  /** Set by the policy when an unexpired `scan-ignore` entry matches. */
  ignored: boolean;
}

export interface PlatformFindings {
  digest: string;
  /** `linux/amd64`; absent for a single manifest, which does not name its platform. */
  platform?: string;
  status: string;
  statusDescription?: string;
  findings: Finding[];
}

export function isSeverity(value: string): value is Severity {
  return (SEVERITIES as readonly string[]).includes(value);
}

/** Known severities as they are; Inspector's UNTRIAGED kept; anything else UNKNOWN. Never folded into UNDEFINED. */
export function normalizeSeverity(reported: string | undefined): FindingSeverity {
  const upper = (reported ?? '').toUpperCase();
  if (isSeverity(upper)) return upper;
  return upper === 'UNTRIAGED' ? 'UNTRIAGED' : 'UNKNOWN';
}

function basicFinding(raw: ImageScanFinding): Finding {
  const attributes = new Map((raw.attributes ?? []).map((a) => [a.key ?? '', a.value ?? '']));
  const finding: Finding = {
    id: raw.name ?? 'unnamed finding',
    severity: normalizeSeverity(raw.severity),
    reportedSeverity: raw.severity ?? '(none)',
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
    reportedSeverity: raw.severity ?? '(none)',
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

/** The active findings of one page, basic and enhanced alike. */
function findingsOf(page: DescribeImageScanFindingsResponse): Finding[] {
  const basic = (page.imageScanFindings?.findings ?? []).map(basicFinding);
  // Suppressed and closed Inspector findings don't count; a finding without status does, to be safe.
  const enhanced = (page.imageScanFindings?.enhancedFindings ?? [])
    .filter((raw) => raw.status === undefined || raw.status === 'ACTIVE')
    .map(enhancedFinding);
  return [...basic, ...enhanced];
}

/** What must not change between two polls for a result to count as settled. */
export function snapshotKey(findings: readonly Finding[]): string {
  const keys = findings.map((f) => JSON.stringify([f.id, f.arn ?? '', f.severity, f.package, f.installedVersion]));
  return JSON.stringify(keys.sort());
}

/** One DescribeImageScanFindings page; the first page also carries the scan status. */
export function readFindingsPage(
  options: Omit<ScanRepository, 'runtime'>,
  digest: string,
  nextToken: string | undefined,
): Promise<DescribeImageScanFindingsResponse> {
  const { ecr, registryId, repositoryName } = options;
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

/** Every finding of a complete scan: the first page's, then each following page's. */
export async function readAllFindings(
  options: Omit<ScanRepository, 'runtime'>,
  digest: string,
  first: DescribeImageScanFindingsResponse,
): Promise<Finding[]> {
  const findings = findingsOf(first);
  let nextToken = first.nextToken;
  while (nextToken !== undefined && nextToken !== '') {
    const page = await readFindingsPage(options, digest, nextToken);
    findings.push(...findingsOf(page));
    nextToken = page.nextToken;
  }
  return findings;
}
