/** Launcher of Debian's `docker-registry` (CNCF distribution) on loopback, optionally with Basic auth. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { freePort, waitFor } from './ports.js';

/** A real CNCF distribution registry (Debian's `docker-registry`) on loopback. */
export interface LocalRegistry {
  host: string;
  url: string;
  username?: string;
  password?: string;
  /** `Authorization` header value for direct test calls, when the registry needs one. */
  authorization?: string;
  stop(): Promise<void>;
}

export function registryBinary(): string {
  const found = spawnSync('sh', ['-c', 'command -v docker-registry || command -v registry'], {
    encoding: 'utf8',
  }).stdout.trim();
  if (found === '') {
    throw new Error('docker-registry is not installed: run `apt-get install docker-registry skopeo` (Debian) first');
  }
  return found;
}

/**
 * Starts `docker-registry serve` on 127.0.0.1 with its own storage directory, optionally with
 * htpasswd Basic auth for user `AWS` (ECR's login shape).
 */
export async function startRegistry(options: { auth?: boolean; password?: string } = {}): Promise<LocalRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'ecr-publish-registry-'));
  const port = await freePort();
  const password = options.password ?? `pw-${Math.random().toString(36).slice(2)}`;
  const auth = options.auth === true;
  if (auth) writeFileSync(join(dir, 'htpasswd'), `AWS:${bcrypt.hashSync(password, 5)}\n`);
  const config = [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${join(dir, 'data')}`,
    '  delete:',
    '    enabled: true',
    '  cache:',
    '    blobdescriptor: inmemory',
    'http:',
    `  addr: 127.0.0.1:${port}`,
    '  secret: local-test-secret',
    'validation:',
    '  manifests:',
    '    urls:',
    '      allow:',
    "        - '^https?://'",
    ...(auth ? ['auth:', '  htpasswd:', '    realm: basic-realm', `    path: ${join(dir, 'htpasswd')}`] : []),
  ].join('\n');
  writeFileSync(join(dir, 'config.yml'), config);
  const child: ChildProcess = spawn(registryBinary(), ['serve', join(dir, 'config.yml')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const host = `127.0.0.1:${port}`;
  const url = `http://${host}`;
  try {
    await waitFor(`registry on ${host}`, async () => {
      if (child.exitCode !== null) throw new Error(`docker-registry exited: ${stderr}`);
      const res = await fetch(`${url}/v2/`);
      return res.status === 200 || res.status === 401;
    });
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const authorization = auth ? `Basic ${Buffer.from(`AWS:${password}`).toString('base64')}` : undefined;
  return {
    host,
    url,
    ...(auth ? { username: 'AWS', password, authorization: authorization! } : {}),
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        // The grace timer is cleared once the registry is gone, so it never keeps the test process alive.
        let grace: NodeJS.Timeout | undefined;
        await Promise.race([exited, new Promise((r) => (grace = setTimeout(r, 3000)))]);
        clearTimeout(grace);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
