/** skopeo as the independent client that checks what the action wrote. */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { sha256 } from './images.js';

const run = promisify(execFile);

/** What an independent client (skopeo) reads from a registry. */
export async function skopeoRaw(
  reference: string,
  creds?: { username?: string | undefined; password?: string | undefined },
): Promise<{ bytes: Buffer; digest: string }> {
  const args = ['inspect', '--raw', '--tls-verify=false'];
  if (creds?.username !== undefined && creds.password !== undefined)
    args.push('--creds', `${creds.username}:${creds.password}`);
  args.push(`docker://${reference}`);
  const { stdout } = await run('skopeo', args, { encoding: 'buffer', maxBuffer: 16 * 1024 * 1024 });
  return { bytes: stdout, digest: sha256(stdout) };
}

/** `null` when the tag does not exist. */
export async function skopeoDigestOrNull(
  reference: string,
  creds?: { username?: string | undefined; password?: string | undefined },
): Promise<string | null> {
  try {
    return (await skopeoRaw(reference, creds)).digest;
  } catch (error) {
    const text = String((error as { stderr?: Buffer }).stderr ?? error);
    if (/manifest unknown|not found|404/i.test(text)) return null;
    throw error;
  }
}

export async function skopeoCopyAll(
  source: string,
  destination: string,
  creds?: { username?: string | undefined; password?: string | undefined },
): Promise<void> {
  const args = ['copy', '--all', '--preserve-digests', '--src-tls-verify=false', '--dest-tls-verify=false'];
  if (creds?.username !== undefined && creds.password !== undefined)
    args.push('--src-creds', `${creds.username}:${creds.password}`);
  await run('skopeo', [...args, source, destination], { maxBuffer: 16 * 1024 * 1024 });
}

type Creds = { username?: string | undefined; password?: string | undefined };

/** Tags of a repository as skopeo lists them; empty when the repository does not exist. */
export async function skopeoListTags(repository: string, creds?: Creds): Promise<string[]> {
  const args = ['list-tags', '--tls-verify=false'];
  if (creds?.username !== undefined && creds.password !== undefined)
    args.push('--creds', `${creds.username}:${creds.password}`);
  try {
    const { stdout } = await run('skopeo', [...args, `docker://${repository}`], { maxBuffer: 16 * 1024 * 1024 });
    return (JSON.parse(stdout) as { Tags: string[] | null }).Tags ?? [];
  } catch (error) {
    const text = String((error as { stderr?: string }).stderr ?? error);
    if (/name unknown|manifest unknown|not found|404/i.test(text)) return [];
    throw error;
  }
}

/**
 * `skopeo copy --all` of a registry image into an OCI layout directory (`oci:<dir>:<tag>`),
 * digests preserved; `convert` lets skopeo rewrite Docker manifests as OCI ones (new digests).
 */
export async function skopeoCopyToLayout(
  reference: string,
  dir: string,
  tag: string,
  creds?: Creds,
  options: { convert?: boolean } = {},
): Promise<void> {
  const args = ['copy', '--all', ...(options.convert === true ? [] : ['--preserve-digests']), '--src-tls-verify=false'];
  if (creds?.username !== undefined && creds.password !== undefined)
    args.push('--src-creds', `${creds.username}:${creds.password}`);
  await run('skopeo', [...args, `docker://${reference}`, `oci:${dir}:${tag}`], { maxBuffer: 16 * 1024 * 1024 });
}

/** A blob of an OCI layout, checked against its digest. */
export function layoutBlob(dir: string, digest: string): Buffer {
  const [algorithm, hex] = digest.split(':');
  const bytes = readFileSync(join(dir, 'blobs', algorithm!, hex!));
  if (sha256(bytes) !== digest) throw new Error(`layout blob ${digest} does not match its digest`);
  return bytes;
}

export interface LayoutPlatformImage {
  platform: { os: string; architecture: string };
  digest: string;
  manifest: {
    mediaType?: string;
    config: { digest: string };
    layers: { mediaType: string; digest: string; size: number }[];
    annotations?: Record<string, string>;
  };
  config: Record<string, unknown>;
  configBytes: Buffer;
}

export interface LayoutImage {
  digest: string;
  index: {
    manifests: {
      digest: string;
      size: number;
      platform?: { os: string; architecture: string };
      annotations?: Record<string, string>;
    }[];
  };
  platforms: LayoutPlatformImage[];
}

/** Reads `index.json` → the tagged root index → each platform manifest and config, from the files. */
export function readLayoutImage(dir: string, tag: string): LayoutImage {
  const top = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as LayoutImage['index'];
  const root = top.manifests.find((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag);
  if (root === undefined) throw new Error(`${dir} has no image tagged ${tag}`);
  const index = JSON.parse(layoutBlob(dir, root.digest).toString('utf8')) as LayoutImage['index'];
  const platforms = index.manifests.map((entry) => {
    const manifest = JSON.parse(layoutBlob(dir, entry.digest).toString('utf8')) as LayoutPlatformImage['manifest'];
    const configBytes = layoutBlob(dir, manifest.config.digest);
    return {
      platform: entry.platform!,
      digest: entry.digest,
      manifest,
      configBytes,
      config: JSON.parse(configBytes.toString('utf8')) as Record<string, unknown>,
    };
  });
  return { digest: root.digest, index, platforms };
}

type ImageConfig = { config?: { Labels?: Record<string, string> } };

/** The image config skopeo reads for `reference` (linux/amd64 of an index). */
export async function skopeoConfig(reference: string, creds?: Creds): Promise<ImageConfig> {
  const args = [
    '--override-os',
    'linux',
    '--override-arch',
    'amd64',
    'inspect',
    '--config',
    '--raw',
    '--tls-verify=false',
  ];
  if (creds?.username !== undefined && creds.password !== undefined) {
    args.push('--creds', `${creds.username}:${creds.password}`);
  }
  const { stdout } = await run('skopeo', [...args, `docker://${reference}`], { maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout) as ImageConfig;
}
