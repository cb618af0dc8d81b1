/** Transport trust boundaries (issue 11): credentials stay with their origin, URL policy, bounded reads, secrets. */
import { describe, expect, it } from '@jest/globals';
import { RegistryClient } from '../../src/oci/registry.js';
import { Transport, type TransportOptions } from '../../src/oci/transport/transport.js';
import { checkFollowedUrl, mayCarryAuthorization } from '../../src/oci/transport/url-policy.js';
import { virtualRuntime } from '../support/runtime.js';
import { scripted, type Handler } from '../support/scripted-fetch.js';

const REGISTRY = 'registry.example.test';
const bearer = `Bearer realm="https://${REGISTRY}/token",service="${REGISTRY}"`;
const basicOf = (user: string, password: string) => Buffer.from(`${user}:${password}`).toString('base64');
/** An empty answer with this status and these headers. */
const answer =
  (status: number, headers: Record<string, string> = {}) =>
  () =>
    new Response(null, { status, headers });
const tagsPage = (tags: string[], next: string) => () =>
  Response.json({ tags }, { headers: { link: `<${next}>; rel="next"` } });
const pingBearer: [RegExp, Handler] = [/\/v2\/$/, answer(401, { 'www-authenticate': bearer })];
const tokenIssuer: [RegExp, Handler] = [
  new RegExp(`${REGISTRY}/token`),
  () => Response.json({ token: 'tok-secret-1' }),
];
const BLOB = `sha256:${'1'.repeat(64)}`;
const noRetry = { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 };

function client(fetchImpl: typeof fetch, extra: Partial<TransportOptions> = {}): RegistryClient {
  const credentials = { username: 'user', password: 'pass-word' };
  const options = { runtime: virtualRuntime(), fetch: fetchImpl, credentials, retry: noRetry, ...extra };
  return new RegistryClient(new Transport(REGISTRY, options));
}

/** A body of `size` bytes made only as it is read; `pulled()` tells how much was. */
function lazyBody(size: number, chunk = 16 * 1024): { stream: ReadableStream<Uint8Array>; pulled: () => number } {
  let pulled = 0;
  const piece = new Uint8Array(chunk).fill(120);
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled >= size) return controller.close();
      pulled += piece.length;
      controller.enqueue(piece);
    },
  });
  return { stream, pulled: () => pulled };
}

describe('credentials stay with their origin', () => {
  it('a Link to another origin is followed without Authorization', async () => {
    const { calls, fetchImpl } = scripted([
      pingBearer,
      tokenIssuer,
      [/registry\.example\.test\/v2\/a\/tags/, tagsPage(['1'], 'https://other.example.test/v2/a/tags/list?last=1')],
      [/other\.example\.test/, () => Response.json({ tags: ['2'] })],
    ]);
    expect(await client(fetchImpl).listTags('a')).toEqual(['1', '2']);
    const own = calls.find((c) => c.url.includes('registry.example.test/v2/a/tags'));
    expect(own!.authorization).toBe('Bearer tok-secret-1');
    expect(calls.find((c) => c.url.includes('other.example.test'))!.authorization).toBeUndefined();
  });

  it('a Link to plain http off loopback is refused', async () => {
    const { calls, fetchImpl } = scripted([
      pingBearer,
      tokenIssuer,
      [/^https:.*tags/, tagsPage(['1'], 'http://registry.example.test/v2/a/tags/list?last=1')],
      [/^http:.*tags/, () => Response.json({ tags: ['2'] })],
    ]);
    await expect(client(fetchImpl).listTags('a')).rejects.toThrow(/to plain http on registry\.example\.test; refused/);
    expect(calls.filter((c) => c.url.startsWith('http:'))).toEqual([]);
  });

  it('an upload Location on another origin gets the PATCH and PUT without Authorization', async () => {
    const digest = `sha256:${'0'.repeat(64)}`;
    const { calls, fetchImpl } = scripted([
      pingBearer,
      tokenIssuer,
      [
        /registry\.example\.test\/v2\/a\/blobs\/uploads\/$/,
        answer(202, { location: 'https://uploads.example.test/session/1' }),
      ],
      [/uploads\.example\.test.*digest=/, answer(201, { 'docker-content-digest': digest })],
      [/uploads\.example\.test/, () => new Response(null, { status: 202 })],
    ]);
    await client(fetchImpl).uploadBlob('a', { digest, size: 3 }, () => new Uint8Array([1, 2, 3]));
    const uploads = calls.filter((c) => c.url.startsWith('https://uploads.example.test'));
    expect(uploads.map((c) => c.method)).toEqual(['PATCH', 'PUT']);
    expect(uploads.map((c) => c.authorization)).toEqual([undefined, undefined]);
    expect(calls.find((c) => c.method === 'POST')!.authorization).toBe('Bearer tok-secret-1');
  });

  it("a CDN's 401 challenge after a redirect is never answered: no token from its realm, no credentials", async () => {
    const cdnChallenge = 'Bearer realm="https://cdn.example.test/token",service="cdn"';
    const { calls, fetchImpl } = scripted([
      [/\/v2\/$/, () => new Response(null, { status: 401, headers: { 'www-authenticate': 'Basic realm="registry"' } })],
      [/registry\.example\.test\/v2\/a\/blobs/, answer(307, { location: 'https://cdn.example.test/blob/1' })],
      [/cdn\.example\.test\/blob/, answer(401, { 'www-authenticate': cdnChallenge })],
      [/cdn\.example\.test\/token/, () => Response.json({ token: 'cdn-token' })],
    ]);
    const registry = client(fetchImpl);
    const refused = /cdn\.example\.test is not registry\.example\.test; its challenge is not answered/;
    await expect(registry.getBlob('a', { digest: BLOB, size: 1 })).rejects.toThrow(refused);
    const cdnCalls = calls.filter((c) => c.url.includes('cdn.example.test'));
    expect(cdnCalls.map((c) => new URL(c.url).pathname)).toEqual(['/blob/1']);
    expect(cdnCalls.every((c) => c.authorization === undefined)).toBe(true);
  });
});

describe('URL policy', () => {
  const follow = (from: string, to: string) => () => checkFollowedUrl(from, to, 'GET x redirected');

  it('refuses plain http off loopback and other schemes, allows https and loopback http', () => {
    const plain = 'GET x redirected to plain http on cdn.example.test; refused';
    expect(follow('https://r.example.test', 'http://cdn.example.test/b')).toThrow(plain);
    expect(follow('https://r.example.test', 'ftp://cdn.example.test/b')).toThrow(/ftp: URL; refused/);
    expect(follow('https://r.example.test', 'file:///etc/passwd')).toThrow(/refused/);
    const relative = checkFollowedUrl('https://r.example.test/v2/', '/v2/a?last=1', 'x');
    expect(relative.toString()).toBe('https://r.example.test/v2/a?last=1');
    expect(checkFollowedUrl('https://r.example.test', 'https://cdn.example.test/b', 'x').host).toBe('cdn.example.test');
    expect(checkFollowedUrl('http://127.0.0.1:5000', 'http://127.0.0.2:6000/b', 'x').host).toBe('127.0.0.2:6000');
    expect(checkFollowedUrl('http://[::1]:5000', 'http://localhost:6000/b', 'x').host).toBe('localhost:6000');
  });

  it('refuses a non-loopback origin pointing at loopback or link-local addresses, in any spelling', () => {
    for (const target of [
      'https://127.0.0.1/x',
      'https://127.1/x',
      'https://2130706433/x',
      'https://localhost/x',
      'https://[::1]/x',
      'https://[::ffff:127.0.0.1]/x',
      'https://169.254.169.254/latest/meta-data',
      'https://[fe80::1]/x',
      'https://[::ffff:169.254.169.254]/x',
    ]) {
      expect(follow('https://r.example.test', target)).toThrow(/loopback or link-local address .*; refused/);
    }
    expect(checkFollowedUrl('https://r.example.test', 'https://10.0.0.1/x', 'x').host).toBe('10.0.0.1');
  });

  it('lets Authorization go to the same scheme, host and port only', () => {
    expect(mayCarryAuthorization('https://r.example.test/v2/a', 'https://r.example.test')).toBe(true);
    expect(mayCarryAuthorization('https://r.example.test:443/v2/a', 'https://r.example.test')).toBe(true);
    expect(mayCarryAuthorization('https://r.example.test:8443/v2/a', 'https://r.example.test')).toBe(false);
    expect(mayCarryAuthorization('http://r.example.test/v2/a', 'https://r.example.test')).toBe(false);
    expect(mayCarryAuthorization('https://cdn.r.example.test/v2/a', 'https://r.example.test')).toBe(false);
  });

  it('refuses a token realm on a plain http or loopback address announced by a remote registry', async () => {
    for (const realm of ['http://auth.example.test/token', 'https://127.0.0.1/token']) {
      const { calls, fetchImpl } = scripted([
        [/\/v2\/$/, answer(401, { 'www-authenticate': `Bearer realm="${realm}"` })],
        [/token/, () => Response.json({ token: 't' })],
      ]);
      await expect(client(fetchImpl).headBlob('a', BLOB)).rejects.toThrow(/token realm to .*; refused/);
      expect(calls.filter((c) => c.url.includes('token'))).toEqual([]);
    }
  });
});

describe('bounded reads and loops', () => {
  it('stops at a Link that points back to a page already read', async () => {
    const { calls, fetchImpl } = scripted([
      pingBearer,
      tokenIssuer,
      [
        /tags/,
        (_u, _c, n) => {
          if (n > 50) throw new Error('test guard: the client follows a self-link forever');
          return Response.json({ tags: ['1'] }, { headers: { link: '</v2/a/tags/list?n=1000>; rel="next"' } });
        },
      ],
    ]);
    await expect(client(fetchImpl).listTags('a')).rejects.toThrow(/links back to a page already read/);
    expect(calls.filter((c) => c.url.includes('tags'))).toHaveLength(1);
  });

  it('stops after 1,000 pages', async () => {
    const { calls, fetchImpl } = scripted([
      pingBearer,
      tokenIssuer,
      [
        /referrers/,
        (_u, _c, n) => {
          if (n > 1100) throw new Error('test guard: the client follows links forever');
          return Response.json({ manifests: [] }, { headers: { link: `</v2/a/referrers/x?page=${n}>; rel="next"` } });
        },
      ],
    ]);
    await expect(client(fetchImpl).listReferrers('a', BLOB)).rejects.toThrow(/more than 1000 pages/);
    expect(calls.filter((c) => c.url.includes('referrers'))).toHaveLength(1000);
  });

  it('reads at most 64 KiB of an error body and keeps the message short', async () => {
    const huge = lazyBody(64 * 1024 * 1024);
    const failing: Handler = () => new Response(huge.stream, { status: 500 });
    const { fetchImpl } = scripted([pingBearer, tokenIssuer, [/manifests/, failing]]);
    const failure = client(fetchImpl).getManifest('a', 'latest');
    await expect(failure).rejects.toThrow(/answered 500 \(x{200}\)$/);
    expect(huge.pulled()).toBeLessThanOrEqual(128 * 1024);
  });

  it('refuses a token answer over 64 KiB, reading no more of it', async () => {
    const huge = lazyBody(64 * 1024 * 1024);
    const { fetchImpl } = scripted([pingBearer, [/token/, () => new Response(huge.stream, { status: 200 })]]);
    await expect(client(fetchImpl).headBlob('a', BLOB)).rejects.toThrow(/answered more than 65536 bytes; refused/);
    expect(huge.pulled()).toBeLessThanOrEqual(128 * 1024);
  });
});

describe('secrets', () => {
  it('announces the base64 credentials and every token before they are sent', async () => {
    const announced: string[] = [];
    const { calls, fetchImpl } = scripted([
      pingBearer,
      [/token/, (url) => Response.json({ token: `tok-${url.searchParams.get('scope')}` })],
      [
        /manifests/,
        (_u, call) => {
          expect(announced).toContain(call.authorization!.replace('Bearer ', ''));
          return new Response(null, { status: 404 });
        },
      ],
    ]);
    const registry = client(fetchImpl, { onSecret: (value) => void announced.push(value) });
    await registry.headManifest('a', 'latest');
    await registry.headManifest('b', 'latest');
    expect(calls.find((c) => c.url.includes('token'))!.authorization).toBe(`Basic ${basicOf('user', 'pass-word')}`);
    expect(announced).toEqual([basicOf('user', 'pass-word'), 'tok-repository:a:pull', 'tok-repository:b:pull']);
  });

  it('scrubs an echoed Bearer token from error messages', async () => {
    const echo: Handler = (_u, call) =>
      Response.json({ errors: [{ code: 'DENIED', message: `you sent ${call.authorization}` }] }, { status: 400 });
    const { fetchImpl } = scripted([pingBearer, tokenIssuer, [/manifests/, echo]]);
    const error = (await client(fetchImpl)
      .getManifest('a', 'latest')
      .catch((e: unknown) => e)) as Error;
    expect(error.message).toContain('DENIED: you sent ***');
    expect(error.message).not.toContain('tok-secret-1');
  });

  it('scrubs echoed Basic credentials from error messages, JSON or not', async () => {
    const { fetchImpl } = scripted([
      [/\/v2\/$/, () => new Response(null, { status: 401, headers: { 'www-authenticate': 'Basic realm="r"' } })],
      [/manifests/, (_u, call) => new Response(`${'.'.repeat(20)} echo: ${call.authorization}`, { status: 500 })],
    ]);
    const error = (await client(fetchImpl)
      .getManifest('a', 'latest')
      .catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/answered 500/);
    expect(error.message).not.toContain(basicOf('user', 'pass-word').slice(0, 6));
  });
});
