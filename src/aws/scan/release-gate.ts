/** The only road to promotion: gate every image of a release first, then promote them all, or none. */
import type { Severity } from '../../inputs.js';
import { promoteImage, type PromotionResult } from '../promote.js';
import { runScanGate, type GateResult, type ScanGateOptions } from './gate.js';

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
 * applied only when every gate passed, so a release is never half-promoted. Promotion writes the
 * digest the gate resolved, never a tag. Errors are recorded per image rather than thrown, so the
 * report still tells what was published.
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
          const image = { digest: entry.digest };
          entry.gate = await runScanGate({ ...options, threshold, repositoryName: entry.repositoryName, image });
        } catch (error) {
          entry.error = (error as Error).message;
        }
      }),
    );
  }
  const passed = entries.every(
    (entry) => entry.error === undefined && (entry.gate === undefined || entry.gate.verdict === 'pass'),
  );
  if (!passed) {
    if (options.promoteTags.length > 0) {
      options.runtime.logger.info(
        'scan gate: not every image passed; no promote tag applied to any image of this release',
      );
    }
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
