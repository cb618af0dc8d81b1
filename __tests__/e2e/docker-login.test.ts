import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pseudoRandomBytes, pushImage } from '../../testbed/images.js';
import { parseOutputFile, startWorld, type World } from '../support/world.js';

/**
 * `docker-login: true` with a stand-in `docker` on PATH that records its arguments and stdin (no
 * Docker engine runs here): the password must arrive on stdin only, and the post step logs out.
 */
describe('end to end: docker-login', () => {
  let world: World;
  let bin: string;
  const record = () => join(bin, 'calls.log');

  beforeAll(async () => {
    world = await startWorld();
    await pushImage({ url: world.source.url }, 'org/app', { layers: [pseudoRandomBytes(1000, 1)] }, '1.0.0');
    bin = mkdtempSync(join(tmpdir(), 'fake-docker-'));
    writeFileSync(
      join(bin, 'docker'),
      `#!/bin/sh\nprintf 'ARGS %s\\n' "$*" >> "${record()}"\nif [ "$1" = login ]; then printf 'STDIN %s\\n' "$(cat)" >> "${record()}"; fi\necho "Login Succeeded"\n`,
    );
    chmodSync(join(bin, 'docker'), 0o755);
  });

  afterAll(async () => {
    await world?.close();
    rmSync(bin, { recursive: true, force: true });
  });

  it('logs in with --password-stdin and out again in the post step', async () => {
    const run = await world.runAction(
      {
        images: `${world.hub.host}/org/app:1.0.0`,
        'registry-type': 'private',
        'aws-region': world.aws.region,
        'role-to-assume': world.aws.roleArn,
        'docker-login': 'true',
      },
      { PATH: `${bin}:${process.env.PATH ?? ''}` },
    );
    expect(run.code).toBe(0);
    const password = world.privateRegistry.password!;
    const calls = readFileSync(record(), 'utf8');
    expect(calls).toContain(`ARGS login --username AWS --password-stdin ${world.privateRegistry.host}`);
    expect(calls).toContain(`STDIN ${password}`);
    expect(
      calls
        .split('\n')
        .filter((l) => l.startsWith('ARGS'))
        .join('\n'),
    ).not.toContain(password);
    expect(
      run.printed
        .split('\n')
        .filter((l) => !l.startsWith('::add-mask::'))
        .join('\n'),
    ).not.toContain(password);

    const stateDir = mkdtempSync(join(tmpdir(), 'post-'));
    const state = parseOutputFile(run.state);
    const post = spawnSync(process.execPath, [join(world.bundleDir, 'post.js')], {
      env: {
        PATH: `${bin}:${process.env.PATH ?? ''}`,
        ...Object.fromEntries(Object.entries(state).map(([k, v]) => [`STATE_${k}`, v])),
        GITHUB_STATE: join(stateDir, 'state'),
      },
      encoding: 'utf8',
    });
    rmSync(stateDir, { recursive: true, force: true });
    expect(post.status).toBe(0);
    expect(readFileSync(record(), 'utf8')).toContain(`ARGS logout ${world.privateRegistry.host}`);
  });
});
