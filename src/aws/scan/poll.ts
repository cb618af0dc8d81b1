/** Waits for every platform's scan: our own loop with a hard timeout, not the SDK waiter (which gives up on ACTIVE). */
import type { DescribeImageScanFindingsResponse } from '@aws-sdk/client-ecr';
import { errorName } from '../sdk.js';
import { ScanGateError, type ScanRepository } from './common.js';
import { maybeStartScan, type ScanningMode, type ScanStartState, type ScanType } from './coverage.js';
import { readAllFindings, readFindingsPage, snapshotKey, type PlatformFindings } from './findings.js';
import type { ScanTarget } from './resolve.js';

export const DEFAULT_POLL_INTERVAL_MS = 5000;
export const DEFAULT_SCAN_START_GRACE_MS = 30_000;

export interface PollOptions extends ScanRepository {
  timeoutMs: number;
  pollIntervalMs?: number | undefined;
  /** Under basic scan-on-push, how long a missing scan may stay missing before we start one. */
  scanStartGraceMs?: number | undefined;
}

const WAITING_STATUSES = new Set(['IN_PROGRESS', 'PENDING']);
const RESULT_STATUSES = new Set(['COMPLETE', 'ACTIVE']);
const FAILED_STATUS_ADVICE: Record<string, string> = {
  FAILED: 'push the image again or start a scan in the ECR console',
  UNSUPPORTED_IMAGE:
    'ECR cannot scan this operating system or image type; gate on another scanner or drop scan-severity-threshold',
  SCAN_ELIGIBILITY_EXPIRED: 'Inspector no longer rescans this image; push it again to get a fresh scan',
  FINDINGS_UNAVAILABLE: 'Inspector has no findings for this image; push it again or check Amazon Inspector',
  LIMIT_EXCEEDED: 'the scan limit was exceeded; try again later',
  IMAGE_ARCHIVED: 'archived images are not scanned; restore the image first',
};

interface PollState extends ScanStartState {
  lastStatus: string;
  /** Key of the previous complete snapshot, to confirm against. */
  snapshotKey: string | undefined;
  done?: PlatformFindings;
}

export class ScanPoller {
  private readonly pollIntervalMs: number;
  private readonly graceMs: number;

  constructor(
    private readonly options: PollOptions,
    private mode: ScanningMode,
  ) {
    this.pollIntervalMs = options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
    this.graceMs = options.scanStartGraceMs ?? DEFAULT_SCAN_START_GRACE_MS;
  }

  /** The scanning type, as configured or as learned from the results. */
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
            `${this.options.repositoryName} (${waitingFor}); ` +
            'raise scan-timeout-seconds or check the scan in the ECR console',
        );
      }
      await sleep(Math.min(this.pollIntervalMs, remaining));
    }
  }

  private async poll(state: PollState): Promise<void> {
    const { logger } = this.options.runtime;
    let first: DescribeImageScanFindingsResponse;
    try {
      first = await readFindingsPage(this.options, state.target.digest, undefined);
    } catch (error) {
      // No scan yet: not an error, the scan may still come (or we start one).
      if (errorName(error) !== 'ScanNotFoundException') throw error;
      this.setStatus(state, 'NOT_FOUND');
      state.snapshotKey = undefined;
      await maybeStartScan(this.options, this.mode, this.graceMs, state);
      return;
    }
    const status = first.imageScanStatus?.status ?? 'UNKNOWN';
    const description = first.imageScanStatus?.description;
    this.setStatus(state, status);
    const looksEnhanced = status === 'ACTIVE' || first.imageScanFindings?.enhancedFindings !== undefined;
    if (this.mode.scanType === undefined && looksEnhanced) {
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
      if (!WAITING_STATUSES.has(status)) {
        logger.debug(`scan gate: unrecognised scan status ${status} for ${state.label}; waiting`);
      }
      state.snapshotKey = undefined;
      return;
    }

    const findings = await readAllFindings(this.options, state.target.digest, first);
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

  private setStatus(state: PollState, status: string): void {
    if (state.lastStatus !== status) {
      this.options.runtime.logger.info(`scan gate: ${state.label} scan status ${status}`);
    }
    state.lastStatus = status;
  }
}
