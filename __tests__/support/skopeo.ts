import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { sha256 } from './images.js';

const run = promisify(execFile);

/** What an independent client (skopeo) reads from a registry. */
export async function skopeoRaw(reference: string, creds?: { username?: string | undefined; password?: string | undefined }): Promise<{ bytes: Buffer; digest: string }> {
  const args = ['inspect', '--raw', '--tls-verify=false'];
  if (creds?.username !== undefined && creds.password !== undefined) args.push('--creds', `${creds.username}:${creds.password}`);
  args.push(`docker://${reference}`);
  const { stdout } = await run('skopeo', args, { encoding: 'buffer', maxBuffer: 16 * 1024 * 1024 });
  return { bytes: stdout, digest: sha256(stdout) };
}

/** `null` when the tag does not exist. */
export async function skopeoDigestOrNull(reference: string, creds?: { username?: string | undefined; password?: string | undefined }): Promise<string | null> {
  try {
    return (await skopeoRaw(reference, creds)).digest;
  } catch (error) {
    const text = String((error as { stderr?: Buffer }).stderr ?? error);
    if (/manifest unknown|not found|404/i.test(text)) return null;
    throw error;
  }
}

export async function skopeoCopyAll(source: string, destination: string, creds?: { username?: string | undefined; password?: string | undefined }): Promise<void> {
  const args = ['copy', '--all', '--preserve-digests', '--src-tls-verify=false', '--dest-tls-verify=false'];
  if (creds?.username !== undefined && creds.password !== undefined) args.push('--src-creds', `${creds.username}:${creds.password}`);
  await run('skopeo', [...args, source, destination], { maxBuffer: 16 * 1024 * 1024 });
}
