import { describe, expect, it } from '@jest/globals';
import {
  comparableName,
  credentialHost,
  credentialsBelongTo,
  manifestReference,
  formatReference,
  isLoopbackHost,
  parseReference,
} from '../../src/oci/reference.js';

describe('parseReference', () => {
  it.each([
    ['ubuntu', { registry: 'docker.io', repository: 'library/ubuntu' }],
    [
      'docker.io/paketobuildpacks/builder-jammy-base:0.3.13',
      { registry: 'docker.io', repository: 'paketobuildpacks/builder-jammy-base', tag: '0.3.13' },
    ],
    [
      'index.docker.io/paketobuildpacks/run-jammy-base:latest',
      { registry: 'docker.io', repository: 'paketobuildpacks/run-jammy-base', tag: 'latest' },
    ],
    ['localhost:5000/a/b', { registry: 'localhost:5000', repository: 'a/b' }],
    [
      '127.0.0.1:5000/a@sha256:' + 'a'.repeat(64),
      { registry: '127.0.0.1:5000', repository: 'a', digest: 'sha256:' + 'a'.repeat(64) },
    ],
    [
      'gcr.io/p/i:1.0@sha256:' + 'b'.repeat(64),
      { registry: 'gcr.io', repository: 'p/i', tag: '1.0', digest: 'sha256:' + 'b'.repeat(64) },
    ],
    ['[::1]:5000/x:y', { registry: '[::1]:5000', repository: 'x', tag: 'y' }],
    [
      'q.io:65535/a@sha512:' + 'c'.repeat(128),
      { registry: 'q.io:65535', repository: 'a', digest: 'sha512:' + 'c'.repeat(128) },
    ],
    ['q.io:1/a', { registry: 'q.io:1', repository: 'a' }],
  ])('parses %s', (input, expected) => {
    expect(parseReference(input)).toEqual(expected);
  });

  it.each([
    ['', 'empty'],
    ['UPPER/case', 'not a valid repository'],
    ['a:bad tag', 'white space'],
    ['a@sha256:abc', 'not a digest'],
    ['a:-x', 'not a valid tag'],
    ['host.io/', 'repository name is missing'],
    ['a@md5:' + 'a'.repeat(32), '"md5" is not a supported digest algorithm'],
    ['a@sha384:' + 'a'.repeat(96), '"sha384" is not a supported digest algorithm'],
    ['a@sha512:' + 'A'.repeat(128), 'is not a sha512 digest of 128 hex characters'],
    ['q.io:99999/a', 'has port 99999, not 1 to 65535'],
    ['localhost:0/a', 'has port 0'],
    ['[::1]:70000/a', 'has port 70000'],
  ])('rejects %j', (input, why) => {
    expect(() => parseReference(input)).toThrow(why);
  });

  it('round-trips through formatReference', () => {
    expect(formatReference(parseReference('quay.io/a/b:c'))).toBe('quay.io/a/b:c');
  });

  it('compares names the way the lifecycle does', () => {
    expect(comparableName('docker.io/paketobuildpacks/run:latest')).toBe('index.docker.io/paketobuildpacks/run');
    expect(comparableName('index.docker.io/paketobuildpacks/run')).toBe('index.docker.io/paketobuildpacks/run');
  });

  it("sends a credential to its own host only, Docker Hub's names counting as one", () => {
    for (const hub of ['docker.io', 'index.docker.io', 'registry-1.docker.io', 'Registry.Hub.Docker.com'])
      expect(credentialHost(hub)).toBe('docker.io');
    expect(credentialsBelongTo('docker.io', parseReference('paketobuildpacks/run').registry)).toBe(true);
    expect(credentialsBelongTo('index.docker.io', 'registry-1.docker.io')).toBe(true);
    expect(credentialsBelongTo('docker.io', 'auth.docker.io')).toBe(false);
    expect(credentialsBelongTo('docker.io', 'ghcr.io')).toBe(false);
    expect(credentialsBelongTo('docker.io', 'docker.io.evil.com')).toBe(false);
    expect(credentialsBelongTo('GHCR.io', 'ghcr.io')).toBe(true);
    expect(credentialsBelongTo('127.0.0.1:5000', '127.0.0.1:5001')).toBe(false);
  });

  it('allows plain http only on loopback', () => {
    expect(isLoopbackHost('127.0.0.1:5000')).toBe(true);
    expect(isLoopbackHost('localhost')).toBe(true);
    expect(isLoopbackHost('[::1]:80')).toBe(true);
    expect(isLoopbackHost('127.evil.com')).toBe(false);
    expect(isLoopbackHost('public.ecr.aws')).toBe(false);
  });
});

describe('no tag means latest (Docker)', () => {
  const digest = `sha256:${'b'.repeat(64)}`;
  it.each([
    ['paketobuildpacks/java', 'latest'],
    ['paketobuildpacks/java:18.2.0', '18.2.0'],
    [`paketobuildpacks/java@${digest}`, digest],
    [`paketobuildpacks/java:18.2.0@${digest}`, digest],
  ])('%s is read as %s', (text, expected) => {
    expect(manifestReference(parseReference(text))).toBe(expected);
  });
});
