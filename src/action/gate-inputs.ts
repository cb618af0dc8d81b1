/** The scan gate's inputs: threshold, scan-ignore, timeout, promote tags, and the staging of a public release. */
import { isValidTag } from '../oci/reference.js';
import { repositoryPrefixProblem } from '../plan/naming.js';
import { SEVERITIES, type SeverityThreshold } from '../inputs.js';
import {
  type Get,
  InputError,
  InputProblems,
  listItems,
  onlyFor,
  parseChoice,
  parseScanIgnore,
  parseWholeNumber,
  quote,
} from './input-parsers.js';

const THRESHOLDS: readonly SeverityThreshold[] = ['NONE', ...SEVERITIES];
const DEFAULT_SCAN_TIMEOUT = 900;
export const DEFAULT_STAGING_PREFIX = 'ecr-publish-staging/';

/**
 * The scan gate: on private ECR before promotion, on public a staged release (staged in private ECR, gated, then
 * published). Ignore entries, the timeout and the staging prefix need a threshold; promotion is private only.
 */
export function gateInputs(get: Get, getInput: Get, isPublic: boolean | undefined, p: InputProblems) {
  const scanSeverityThreshold = p.take(
    () => parseChoice('scan-severity-threshold', get('scan-severity-threshold'), THRESHOLDS, 'NONE'),
    'NONE',
  );
  // Without a valid threshold, whether there is a gate is unknown.
  const noGate = (name: string): void => {
    if (scanSeverityThreshold === 'NONE' && !p.failed('scan-severity-threshold'))
      throw new InputError(name, 'has no effect with scan-severity-threshold NONE (no scan gate)');
  };
  const scanIgnore = p.take(() => {
    const entries = parseScanIgnore(getInput('scan-ignore'));
    if (entries.length > 0) noGate('scan-ignore');
    return entries;
  }, []);
  const scanTimeoutSeconds = p.take(() => {
    const seconds = parseWholeNumber(
      'scan-timeout-seconds',
      get('scan-timeout-seconds'),
      DEFAULT_SCAN_TIMEOUT,
      1,
      21600,
      'seconds',
    );
    if (seconds !== DEFAULT_SCAN_TIMEOUT) noGate('scan-timeout-seconds');
    return seconds;
  }, DEFAULT_SCAN_TIMEOUT);
  const promoteTags = p.take(() => {
    const tags = listItems(getInput('promote-tags'));
    for (const tag of tags) {
      if (!isValidTag(tag)) throw new InputError('promote-tags', `${quote(tag)} is not a valid tag`);
    }
    if (isPublic === true && tags.length > 0) onlyFor('promote-tags', 'private');
    return tags;
  }, []);
  const stagingRepositoryPrefix = p.take(() => {
    const prefix = get('staging-repository-prefix') || DEFAULT_STAGING_PREFIX;
    const problem = repositoryPrefixProblem(prefix);
    if (problem !== undefined) throw new InputError('staging-repository-prefix', problem);
    if (prefix === DEFAULT_STAGING_PREFIX) return prefix;
    if (isPublic === false) onlyFor('staging-repository-prefix', 'public');
    if (isPublic === true && scanSeverityThreshold === 'NONE' && !p.failed('scan-severity-threshold'))
      throw new InputError(
        'staging-repository-prefix',
        'has no effect with scan-severity-threshold NONE (no staged release)',
      );
    return prefix;
  }, DEFAULT_STAGING_PREFIX);
  return { scanSeverityThreshold, scanIgnore, scanTimeoutSeconds, promoteTags, stagingRepositoryPrefix };
}

/** A staged release creates private ECR repositories: they need aws-region, and only they take lifecycle-policy. */
export function stagedReleaseChecks(
  destination: { awsRegion?: string },
  repository: { lifecyclePolicy?: string },
  gate: { scanSeverityThreshold: SeverityThreshold },
  isPublic: boolean | undefined,
  p: InputProblems,
): void {
  if (isPublic !== true || p.failed('scan-severity-threshold')) return;
  const staged = gate.scanSeverityThreshold !== 'NONE';
  p.take(() => {
    if (!staged || destination.awsRegion !== undefined || p.failed('aws-region')) return;
    throw new InputError(
      'aws-region',
      'is required for a staged release (registry-type public with scan-severity-threshold): the images are staged and scanned in private ECR there (or set AWS_REGION)',
    );
  }, undefined);
  p.take(() => {
    if (staged || repository.lifecyclePolicy === undefined) return;
    throw new InputError(
      'lifecycle-policy',
      'only applies to registry-type private and to the staging repositories of a staged release (ECR Public has no lifecycle policies; see public-retention)',
    );
  }, undefined);
}
