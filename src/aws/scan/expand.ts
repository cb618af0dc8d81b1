/** Expands an index, nested ones too, to the platform manifests ECR scans; any entry it cannot place fails the gate. */
import {
  isAttestationEntry,
  isImageManifestMediaType,
  isIndexMediaType,
  platformString,
  type Descriptor,
} from '../../oci/media-types.js';

/** One manifest whose scan the gate waits for. */
export interface ScanTarget {
  digest: string;
  platform?: string;
}

/** Indexes inside indexes, the top one counting as 1: deeper than this fails rather than being walked. */
export const MAX_INDEX_DEPTH = 4;
/** Entries per index, as everywhere a manifest from a registry is parsed. */
export const MAX_INDEX_ENTRIES = 1000;

const DIGEST = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;
const ATTESTATION_ANNOTATION = 'vnd.docker.reference.type';

/** What one index entry is to the gate. `unscannable` fails the gate: skipping it could hide a platform. */
export type EntryKind =
  | { kind: 'platform'; target: ScanTarget }
  | { kind: 'attestation' }
  | { kind: 'index'; digest: string }
  | { kind: 'unscannable'; reason: string };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** BuildKit marks attestations by platform (`unknown/unknown`) and by annotation; either is enough. */
function isAttestation(entry: Descriptor): boolean {
  return isAttestationEntry(entry) || entry.annotations?.[ATTESTATION_ANNOTATION] === 'attestation-manifest';
}

export function classifyEntry(raw: unknown): EntryKind {
  if (!isObject(raw) || typeof raw.digest !== 'string' || !DIGEST.test(raw.digest)) {
    return { kind: 'unscannable', reason: 'has no valid digest' };
  }
  const entry = raw as unknown as Descriptor;
  const mediaType = typeof raw.mediaType === 'string' ? raw.mediaType : '';
  if (isAttestation(entry)) return { kind: 'attestation' };
  if (isIndexMediaType(mediaType)) return { kind: 'index', digest: entry.digest };
  if (!isImageManifestMediaType(mediaType)) {
    return { kind: 'unscannable', reason: `has media type "${mediaType || '(none)'}", neither an image nor an index` };
  }
  const platform = isObject(raw.platform) ? entry.platform : undefined;
  if (platform === undefined || typeof platform.os !== 'string' || typeof platform.architecture !== 'string') {
    return { kind: 'unscannable', reason: 'is an image manifest without a platform' };
  }
  return { kind: 'platform', target: { digest: entry.digest, platform: platformString(platform) } };
}

/** A nested index as read from the repository, or why it could not be. */
export type FetchedIndex = { manifests: unknown } | { problem: string };

export interface Expansion {
  targets: ScanTarget[];
  /** Every entry that is neither a platform image nor an attestation, with where it sits and why. */
  problems: string[];
}

/**
 * Walks `manifests` (the top index's) depth first. Platforms and nested indexes are de-duplicated
 * by digest; attestations are skipped; everything else is a problem, never silently dropped.
 */
export async function expandIndex(
  top: { digest: string; manifests: unknown },
  fetchIndex: (digest: string) => Promise<FetchedIndex>,
): Promise<Expansion> {
  const seen = new Set<string>([top.digest]);
  const expansion: Expansion = { targets: [], problems: [] };

  const visit = async (indexDigest: string, manifests: unknown, depth: number): Promise<void> => {
    if (!Array.isArray(manifests)) {
      expansion.problems.push(`index ${indexDigest} has no manifests list`);
      return;
    }
    if (manifests.length > MAX_INDEX_ENTRIES) {
      expansion.problems.push(`index ${indexDigest} has ${manifests.length} entries, more than ${MAX_INDEX_ENTRIES}`);
      return;
    }
    for (const [position, raw] of manifests.entries()) {
      const entry = classifyEntry(raw);
      const digest = isObject(raw) && typeof raw.digest === 'string' ? raw.digest : '(no digest)';
      const where = `entry ${position} (${digest}) of index ${indexDigest}`;
      if (entry.kind === 'attestation') continue;
      if (entry.kind === 'unscannable') {
        expansion.problems.push(`${where} ${entry.reason}`);
        continue;
      }
      if (seen.has(digest)) continue;
      seen.add(digest);
      if (entry.kind === 'platform') {
        expansion.targets.push(entry.target);
        continue;
      }
      if (depth + 1 > MAX_INDEX_DEPTH) {
        expansion.problems.push(`${where} nests indexes deeper than ${MAX_INDEX_DEPTH} levels`);
        continue;
      }
      const fetched = await fetchIndex(entry.digest);
      if ('problem' in fetched) expansion.problems.push(`${where} ${fetched.problem}`);
      else await visit(entry.digest, fetched.manifests, depth + 1);
    }
  };

  await visit(top.digest, top.manifests, 1);
  return expansion;
}
