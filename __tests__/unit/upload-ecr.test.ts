import { describe, expect, it } from '@jest/globals';
import { Readable } from 'node:stream';
import { connectRegistry } from '../../src/oci/registry.js';
import { pseudoRandomBytes, sha256 } from '../../testbed/images.js';
import { virtualRuntime } from '../support/runtime.js';

/**
 * A fake that answers blob uploads the way ECR does (aws/containers-roadmap #1459, #2831):
 * PATCH answers 201, its Range never advances past the first part, and a part smaller than
 * 5 MiB that is not the last is refused.
 */
function ecrLikeFetch(log: string[]) {
  const sessions = new Map<string, { received: Buffer[]; parts: number; closedSmallPart: boolean }>();
  let nextId = 0;
  return async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const url = new URL(String(input));
    const method = init?.method ?? 'GET';
    log.push(`${method} ${url.pathname}${url.search.includes('digest=') ? '?digest' : ''}`);
    const auth = (init?.headers as Record<string, string> | undefined)?.authorization;
    if (url.pathname === '/v2/')
      return new Response(null, {
        status: 401,
        headers: {
          'www-authenticate':
            'Basic realm="https://123456789012.dkr.ecr.us-east-1.amazonaws.com/",service="ecr.amazonaws.com"',
        },
      });
    if (auth !== `Basic ${Buffer.from('AWS:token').toString('base64')}`) return new Response(null, { status: 401 });
    if (method === 'POST' && url.pathname.endsWith('/blobs/uploads/')) {
      const id = `u${nextId++}`;
      sessions.set(id, { received: [], parts: 0, closedSmallPart: false });
      return new Response(null, {
        status: 202,
        headers: {
          location: `https://123456789012.dkr.ecr.us-east-1.amazonaws.com/v2/app/blobs/uploads/${id}`,
          range: '0-0',
        },
      });
    }
    const id = url.pathname.split('/').pop() ?? '';
    const session = sessions.get(id);
    if (session === undefined) return new Response('{"errors":[{"code":"BLOB_UPLOAD_UNKNOWN"}]}', { status: 404 });
    if (method === 'PATCH') {
      if (session.closedSmallPart)
        return new Response('{"errors":[{"code":"BLOB_UPLOAD_INVALID","message":"parts must be at least 5 MiB"}]}', {
          status: 400,
        });
      const chunks: Buffer[] = [];
      const body = init!.body as unknown;
      if (body instanceof Uint8Array) chunks.push(Buffer.from(body));
      else for await (const chunk of body as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk));
      const part = Buffer.concat(chunks);
      const declared = Number((init!.headers as Record<string, string>)['content-length']);
      expect(declared).toBe(part.length);
      session.received.push(part);
      session.parts++;
      if (part.length < 5 * 1024 * 1024) session.closedSmallPart = true;
      const firstPartEnd = (session.received[0]?.length ?? 1) - 1;
      return new Response(null, { status: 201, headers: { location: url.toString(), range: `0-${firstPartEnd}` } });
    }
    if (method === 'PUT') {
      const whole = Buffer.concat(session.received);
      const digest = url.searchParams.get('digest');
      if (digest !== sha256(whole)) return new Response('{"errors":[{"code":"DIGEST_INVALID"}]}', { status: 400 });
      return new Response(null, { status: 201, headers: { 'docker-content-digest': digest } });
    }
    return new Response(null, { status: 405 });
  };
}

describe('blob upload against an ECR-like registry', () => {
  it.each([
    ['a 12 MiB blob', 12 * 1024 * 1024 + 5],
    ['a small blob', 1000],
  ])('uploads %s as one streaming PATCH and a closing PUT', async (_what, size) => {
    const log: string[] = [];
    const client = connectRegistry('123456789012.dkr.ecr.us-east-1.amazonaws.com', {
      runtime: virtualRuntime(),
      credentials: { username: 'AWS', password: 'token' },
      fetch: ecrLikeFetch(log) as typeof fetch,
    });
    const bytes = pseudoRandomBytes(size, 42);
    await client.uploadBlob('app', { digest: sha256(bytes), size }, () =>
      Readable.from([bytes.subarray(0, 3_000_000), bytes.subarray(3_000_000)]),
    );
    expect(log.filter((l) => l !== 'GET /v2/')).toEqual([
      'POST /v2/app/blobs/uploads/',
      'PATCH /v2/app/blobs/uploads/u0',
      'PUT /v2/app/blobs/uploads/u0?digest',
    ]);
  });

  it('starts a new upload session when a PATCH fails, re-reading the content from the start', async () => {
    const log: string[] = [];
    const inner = ecrLikeFetch(log);
    let failures = 1;
    const flaky = (async (input: string | URL | Request, init?: RequestInit) => {
      if (init?.method === 'PATCH' && failures-- > 0) {
        const body = init.body as unknown as AsyncIterable<Uint8Array>;
        await body[Symbol.asyncIterator]().next();
        throw Object.assign(new TypeError('fetch failed'), {
          cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
        });
      }
      return inner(input, init);
    }) as typeof fetch;
    const runtime = virtualRuntime();
    const client = connectRegistry('123456789012.dkr.ecr.us-east-1.amazonaws.com', {
      runtime,
      credentials: { username: 'AWS', password: 'token' },
      fetch: flaky,
    });
    const bytes = pseudoRandomBytes(6 * 1024 * 1024, 7);
    let opened = 0;
    await client.uploadBlob('app', { digest: sha256(bytes), size: bytes.length }, () => {
      opened++;
      return Readable.from([bytes]);
    });
    expect(opened).toBe(2);
    expect(runtime.slept).toHaveLength(1);
    expect(log.filter((l) => l.startsWith('POST'))).toHaveLength(2);
    expect(log.at(-1)).toBe('PUT /v2/app/blobs/uploads/u1?digest');
  });

  it('names the registry answer when the digest is refused', async () => {
    const client = connectRegistry('123456789012.dkr.ecr.us-east-1.amazonaws.com', {
      runtime: virtualRuntime(),
      credentials: { username: 'AWS', password: 'token' },
      fetch: ecrLikeFetch([]) as typeof fetch,
    });
    const bytes = pseudoRandomBytes(100, 1);
    await expect(
      client.uploadBlob('app', { digest: sha256(Buffer.from('other')), size: 100 }, () => bytes),
    ).rejects.toThrow(/answered 400 .*DIGEST_INVALID/);
  });
});
