/** The hostile test registry itself: each kind of reply behaves as its tests will assume. */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { startHostileRegistry, sha256Of, type HostileRegistry } from '../../testbed/hostile-registry.js';

describe('hostile registry', () => {
  let registry: HostileRegistry;
  beforeEach(async () => {
    registry = await startHostileRegistry();
  });
  afterEach(async () => {
    await registry.close();
  });

  it('serves manifests by tag and digest with the chosen type, and records requests', async () => {
    const digest = registry.manifest('lib/app', 'latest', '{"schemaVersion":2}', 'application/x-crafted');
    const byTag = await fetch(`${registry.url}/v2/lib/app/manifests/latest`, { headers: { accept: 'a/b' } });
    expect([byTag.status, byTag.headers.get('content-type'), byTag.headers.get('docker-content-digest')]).toEqual([
      200,
      'application/x-crafted',
      digest,
    ]);
    expect(await byTag.text()).toBe('{"schemaVersion":2}');
    const head = await fetch(`${registry.url}/v2/lib/app/manifests/${digest}`, { method: 'HEAD' });
    expect([head.status, head.headers.get('content-length')]).toEqual([200, '19']);
    expect((await fetch(`${registry.url}/v2/lib/app/manifests/other`)).status).toBe(404);
    expect(registry.count('*', /\/manifests\//)).toBe(3);
    expect(registry.requests[0]?.headers.accept).toBe('a/b');
    expect(sha256Of('{"schemaVersion":2}')).toBe(digest);
  });

  it('echoes headers, redirects, loops Link headers and challenges like a CDN', async () => {
    registry.route('GET', '/echo', { kind: 'echo' });
    registry.route('GET', '/go', { kind: 'redirect', location: `${registry.url}/echo`, status: 302 });
    registry.route('GET', '/page', { kind: 'loop-link', body: '{"tags":[]}' });
    registry.route('GET', '/cdn', { kind: 'challenge', realm: `${registry.url}/token`, service: 'cdn' });
    const echoed = (await (
      await fetch(`${registry.url}/go`, { headers: { authorization: 'Bearer secret' } })
    ).json()) as { url: string };
    expect(echoed.url).toBe('/echo');
    expect(registry.requests.map((r) => r.url)).toEqual(['/go', '/echo']);
    expect((await fetch(`${registry.url}/page?n=1`)).headers.get('link')).toBe('</page?n=1>; rel="next"');
    const cdn = await fetch(`${registry.url}/cdn`);
    expect([cdn.status, cdn.headers.get('www-authenticate')]).toEqual([
      401,
      `Bearer realm="${registry.url}/token",service="cdn"`,
    ]);
  });

  it('streams a huge body without holding it, and drips a slow one', async () => {
    registry.route('GET', '/huge', { kind: 'huge', size: 5 * 1024 * 1024 + 3, status: 500 });
    registry.route('GET', '/drip', { kind: 'drip', body: 'abc', intervalMs: 20 });
    const huge = await fetch(`${registry.url}/huge`);
    expect([huge.status, huge.headers.get('content-length'), (await huge.arrayBuffer()).byteLength]).toEqual([
      500,
      '5242883',
      5242883,
    ]);
    const started = Date.now();
    expect(await (await fetch(`${registry.url}/drip`)).text()).toBe('abc');
    expect(Date.now() - started).toBeGreaterThanOrEqual(50);
  });
});
