/** How a destination answers cross-repository mounts: never (ECR Public), ECR's rule, or the OCI spec's. */
import type { Exchange, ProxyOptions } from './http-proxy.js';

/**
 * - `none`: every mount is refused with a fresh upload session (202), as ECR Public does (containers-roadmap #1459)
 *   and private ECR without the account's BLOB_MOUNTING setting.
 * - `ecr`: private ECR with BLOB_MOUNTING: only a blob that a manifest in the `from` repository already
 *   references is mounted; a blob merely present there gets 202 and a fresh upload (containers-roadmap #2860).
 * - `spec`: any blob present in the `from` repository is mounted (distribution's own behaviour).
 */
export type MountMode = 'none' | 'ecr' | 'spec';

export const MOUNT_MODES: readonly MountMode[] = ['none', 'ecr', 'spec'];

const MOUNT = /^\/v2\/(.+)\/blobs\/uploads\/\?(.*)$/;
const MANIFEST_PUT = /^\/v2\/(.+)\/manifests\/[^/]+$/;

/** The proxy options that make a docker-registry behind it mount as `mode` says. */
export function mountModeOptions(
  mode: MountMode,
): Required<Pick<ProxyOptions, 'rewritePath' | 'keepBody' | 'onComplete'>> {
  // repository → digests its stored manifests reference (config and layers).
  const referenced = new Map<string, Set<string>>();
  const mountable = (from: string, digest: string): boolean =>
    mode === 'spec' || (mode === 'ecr' && referenced.get(from)?.has(digest) === true);
  return {
    rewritePath: (method, path) => {
      const match = method === 'POST' ? MOUNT.exec(path) : null;
      if (match === null) return path;
      const query = new URLSearchParams(match[2]);
      const digest = query.get('mount');
      const from = query.get('from');
      if (digest === null || from === null || mountable(from, digest)) return path;
      // Refused: the registry sees a plain upload start and answers 202 with a fresh session.
      return `/v2/${match[1]}/blobs/uploads/`;
    },
    keepBody: (method, path) => method === 'PUT' && MANIFEST_PUT.test(path),
    onComplete: (exchange: Exchange, body) => {
      const match = MANIFEST_PUT.exec(exchange.path);
      if (match === null || body === undefined || exchange.status !== 201) return;
      const repository = match[1] ?? '';
      let digests = referenced.get(repository);
      if (digests === undefined) referenced.set(repository, (digests = new Set()));
      for (const digest of blobsOf(body)) digests.add(digest);
    },
  };
}

/** Config and layer digests of an image manifest (an index references no blobs). */
function blobsOf(body: Buffer): string[] {
  try {
    const manifest = JSON.parse(body.toString('utf8')) as {
      config?: { digest?: unknown };
      layers?: { digest?: unknown }[];
    };
    return [manifest.config, ...(manifest.layers ?? [])]
      .map((d) => d?.digest)
      .filter((d): d is string => typeof d === 'string');
  } catch {
    return [];
  }
}
