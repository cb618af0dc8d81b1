/** The scan gate for one image: resolve it once, wait for every platform's scan, then apply the policy. */
import type { IgnoreEntry, Severity } from '../../inputs.js';
import { readScanningMode, type ScanType } from './coverage.js';
import { evaluatePolicy, type FailingFinding, type PlatformReport } from './policy.js';
import { ScanPoller, type PollOptions } from './poll.js';
import { resolveImage, type ImageToResolve } from './resolve.js';

export interface ScanGateOptions extends PollOptions, ImageToResolve {
  threshold: Severity;
  ignore: readonly IgnoreEntry[];
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

/** Waits for every platform manifest's scan and applies the policy; throws ScanGateError when it cannot decide. */
export async function runScanGate(options: ScanGateOptions): Promise<GateResult> {
  const { runtime, repositoryName } = options;
  const resolved = await resolveImage(options);
  runtime.logger.info(
    `scan gate: ${repositoryName}@${resolved.digest}, ${resolved.targets.length} platform manifest(s) ` +
      `to check at threshold ${options.threshold}`,
  );
  const mode = await readScanningMode(options);
  const poller = new ScanPoller(options, mode);
  const platforms = await poller.waitForAll(resolved.targets);
  const { threshold, ignore } = options;
  const policy = evaluatePolicy({ platforms, threshold, ignore, now: runtime.clock.now() });
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
