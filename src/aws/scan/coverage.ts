/** How scans of a repository come about (basic or enhanced, which rule covers it) and when to StartImageScan. */
import {
  DescribeRepositoriesCommand,
  GetRegistryScanningConfigurationCommand,
  StartImageScanCommand,
} from '@aws-sdk/client-ecr';
import { errorMessage, errorName, registryField } from '../sdk.js';
import { ScanGateError, type ScanRepository } from './common.js';
import type { ScanTarget } from './resolve.js';

export type ScanType = 'BASIC' | 'ENHANCED';

/** How scans of this repository come about. `manual`: only StartImageScan (basic). */
export type Coverage = 'on-push' | 'continuous' | 'manual' | 'unknown';

export interface ScanningMode {
  /** Undefined when another account's configuration could not be read; the poller learns it from the results. */
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

export async function readScanningMode(options: ScanRepository): Promise<ScanningMode> {
  const { ecr, registryId, repositoryName, runtime } = options;
  const response = await ecr.send(new GetRegistryScanningConfigurationCommand({}));
  if (registryId !== undefined && response.registryId !== undefined && response.registryId !== registryId) {
    // The API only describes the caller's registry; don't guess another account's setup.
    runtime.logger.warning(
      `scan gate: cannot read the scanning configuration of registry ${registryId} ` +
        `from account ${response.registryId}; ` +
        'waiting for scans without starting any',
    );
    return { scanType: undefined, coverage: 'unknown' };
  }
  const scanType: ScanType = response.scanningConfiguration?.scanType === 'ENHANCED' ? 'ENHANCED' : 'BASIC';
  const covers = (filter: string | undefined): boolean =>
    filter !== undefined && repositoryFilterMatches(filter, repositoryName);
  const frequencies = new Set(
    (response.scanningConfiguration?.rules ?? [])
      .filter((rule) => (rule.repositoryFilters ?? []).some((f) => covers(f.filter)))
      .map((rule) => rule.scanFrequency),
  );

  if (scanType === 'ENHANCED') {
    if (frequencies.has('CONTINUOUS_SCAN')) return { scanType, coverage: 'continuous' };
    if (frequencies.has('SCAN_ON_PUSH')) return { scanType, coverage: 'on-push' };
    throw new ScanGateError(
      'not-covered',
      `scan gate: repository ${repositoryName} is not covered by enhanced scanning; add a registry scanning rule ` +
        '(SCAN_ON_PUSH or CONTINUOUS_SCAN) whose filter matches it, then push again',
    );
  }
  if (frequencies.has('SCAN_ON_PUSH')) return { scanType, coverage: 'on-push' };
  const repositories = await ecr.send(
    new DescribeRepositoriesCommand({ ...registryField(registryId), repositoryNames: [repositoryName] }),
  );
  const scanOnPush = repositories.repositories?.[0]?.imageScanningConfiguration?.scanOnPush === true;
  if (scanOnPush) return { scanType, coverage: 'on-push' };
  // Basic scanning puts every other repository on MANUAL: a scan exists only once someone starts one.
  runtime.logger.info(
    `scan gate: repository ${repositoryName} has no scan-on-push under basic scanning; ` +
      'starting scans manually (enable scan-on-push to avoid the wait)',
  );
  return { scanType, coverage: 'manual' };
}

/** One manifest's history of missing scans, kept by the poller. */
export interface ScanStartState {
  target: ScanTarget;
  label: string;
  scanStarted: boolean;
  firstMissingAt?: number;
}

/**
 * Called while a manifest has no scan. Basic scanning only, and at most once per manifest: ECR allows one
 * scan per image per 24 h. Under scan-on-push, only after `graceMs` without the push's own scan appearing.
 */
export async function maybeStartScan(
  options: ScanRepository,
  mode: ScanningMode,
  graceMs: number,
  state: ScanStartState,
): Promise<void> {
  if (mode.scanType !== 'BASIC' || state.scanStarted) return;
  const { ecr, registryId, repositoryName, runtime } = options;
  const now = runtime.clock.now();
  state.firstMissingAt ??= now;
  if (mode.coverage === 'on-push' && now - state.firstMissingAt < graceMs) return;

  state.scanStarted = true;
  try {
    await ecr.send(
      new StartImageScanCommand({
        ...registryField(registryId),
        repositoryName,
        imageId: { imageDigest: state.target.digest },
      }),
    );
    runtime.logger.info(`scan gate: started a basic scan of ${state.label}`);
  } catch (error) {
    if (errorName(error) === 'LimitExceededException') {
      runtime.logger.info(
        `scan gate: ${state.label} was already scanned in the last 24 hours; waiting for that scan's results`,
      );
      return;
    }
    throw new ScanGateError(
      'scan-not-startable',
      `scan gate: cannot start a scan of ${repositoryName}@${state.target.digest} ` +
        `(${errorName(error) || 'error'}: ${errorMessage(error)}); ` +
        'enable scan-on-push or add a registry scanning rule for the repository',
    );
  }
}
