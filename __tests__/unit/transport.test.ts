import { describe, expect, it } from '@jest/globals';
import { parseChallenge } from '../../src/oci/transport/challenge.js';
import { Transport } from '../../src/oci/transport/transport.js';
import { backoffMs, Pacer, retryAfterMs } from '../../src/retry.js';
import { virtualRuntime } from '../support/runtime.js';
import { scripted } from '../support/scripted-fetch.js';

const bearerChallenge = 'Bearer realm="https://auth.example.test/token",service="registry.example.test"';

describe('Transport', () => {
  it('uses https for remote registries and plain http only on loopback', () => {
    const runtime = virtualRuntime();
    expect(new Transport('registry.example.test', { runtime }).baseUrl).toBe('https://registry.example.test');
    expect(new Transport('docker.io', { runtime }).baseUrl).toBe('https://registry-1.docker.io');
    expect(new Transport('127.0.0.1:5000', { runtime }).baseUrl).toBe('http://127.0.0.1:5000');
    expect(new Transport('localhost:5000', { runtime }).baseUrl).toBe('http://localhost:5000');
  });

  it('answers a Bearer challenge with a token per repository scope, and caches it', async () => {
    const { calls, fetchImpl } = scripted([
      [/\/v2\/$/, () => new Response(null, { status: 401, headers: { 'www-authenticate': bearerChallenge } })],
      [
        /auth\.example\.test\/token/,
        (url) => Response.json({ token: `t-${url.searchParams.getAll('scope').join('+')}`, expires_in: 300 }),
      ],
      [
        /manifests/,
        (_u, call) => new Response('{}', { status: call.authorization?.startsWith('Bearer t-') ? 200 : 401 }),
      ],
    ]);
    const transport = new Transport('registry.example.test', {
      runtime: virtualRuntime(),
      fetch: fetchImpl,
      credentials: { username: 'u', password: 'p' },
    });
    for (let i = 0; i < 2; i++) {
      const response = await transport.send({
        method: 'GET',
        path: '/v2/a/manifests/1',
        scopes: ['repository:a:pull'],
        accept: [200],
      });
      await response.discard();
    }
    await (
      await transport.send({ method: 'GET', path: '/v2/b/manifests/1', scopes: ['repository:b:pull'], accept: [200] })
    ).discard();
    const tokenCalls = calls.filter((c) => c.url.includes('/token'));
    expect(tokenCalls.map((c) => new URL(c.url).searchParams.get('scope'))).toEqual([
      'repository:a:pull',
      'repository:b:pull',
    ]);
    expect(tokenCalls[0]!.authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
    expect(new URL(tokenCalls[0]!.url).searchParams.get('service')).toBe('registry.example.test');
    expect(calls.filter((c) => c.url.endsWith('/v2/'))).toHaveLength(1);
  });

  it('one token fetched for several repositories serves each of them; a repository outside it gets its own', async () => {
    const { calls, fetchImpl } = scripted([
      [/\/v2\/$/, () => new Response(null, { status: 401, headers: { 'www-authenticate': bearerChallenge } })],
      [
        /auth\.example\.test\/token/,
        (url) => Response.json({ token: `t-${url.searchParams.getAll('scope').join('+')}`, expires_in: 300 }),
      ],
      [
        /manifests/,
        (_u, call) => new Response('{}', { status: call.authorization?.startsWith('Bearer t-') ? 200 : 401 }),
      ],
    ]);
    const transport = new Transport('registry.example.test', { runtime: virtualRuntime(), fetch: fetchImpl });
    await transport.authorize(['repository:a:pull', 'repository:b:pull']);
    for (const repository of ['a', 'b', 'c']) {
      const scopes = [`repository:${repository}:pull`];
      await (
        await transport.send({ method: 'GET', path: `/v2/${repository}/manifests/1`, scopes, accept: [200] })
      ).discard();
    }
    const tokenCalls = calls.filter((c) => c.url.includes('/token'));
    expect(tokenCalls.map((c) => new URL(c.url).searchParams.getAll('scope'))).toEqual([
      ['repository:a:pull', 'repository:b:pull'],
      ['repository:c:pull'],
    ]);
    const manifestCalls = calls.filter((c) => c.url.includes('/manifests/'));
    expect(manifestCalls.map((c) => c.authorization)).toEqual([
      'Bearer t-repository:a:pull+repository:b:pull',
      'Bearer t-repository:a:pull+repository:b:pull',
      'Bearer t-repository:c:pull',
    ]);
  });

  it('re-authenticates once when a token expires mid-run (401)', async () => {
    let issued = 0;
    const { calls, fetchImpl } = scripted([
      [/\/v2\/$/, () => new Response(null, { status: 401, headers: { 'www-authenticate': bearerChallenge } })],
      [/\/token/, () => Response.json({ token: `t${++issued}` })],
      [
        /manifests/,
        (_u, call, n) =>
          new Response('{}', {
            status: n === 2 && call.authorization === 'Bearer t1' ? 401 : 200,
            headers: { 'www-authenticate': bearerChallenge },
          }),
      ],
    ]);
    const transport = new Transport('registry.example.test', { runtime: virtualRuntime(), fetch: fetchImpl });
    for (let i = 0; i < 2; i++)
      await (
        await transport.send({ method: 'GET', path: '/v2/a/manifests/1', scopes: ['repository:a:pull'], accept: [200] })
      ).discard();
    expect(issued).toBe(2);
    expect(calls.filter((c) => c.url.includes('manifests')).map((c) => c.authorization)).toEqual([
      'Bearer t1',
      'Bearer t1',
      'Bearer t2',
    ]);
  });

  it('sends Basic credentials when the registry asks for Basic (ECR)', async () => {
    const { calls, fetchImpl } = scripted([
      [
        /\/v2\/$/,
        () =>
          new Response(null, {
            status: 401,
            headers: {
              'www-authenticate':
                'Basic realm="https://123.dkr.ecr.us-east-1.amazonaws.com/",service="ecr.amazonaws.com"',
            },
          }),
      ],
      [/blobs/, () => new Response(null, { status: 200 })],
    ]);
    const transport = new Transport('123.dkr.ecr.us-east-1.amazonaws.com', {
      runtime: virtualRuntime(),
      fetch: fetchImpl,
      credentials: { username: 'AWS', password: 'secret' },
    });
    await (
      await transport.send({
        method: 'HEAD',
        path: '/v2/a/blobs/sha256:x',
        scopes: ['repository:a:pull'],
        accept: [200],
      })
    ).discard();
    expect(calls[1]!.authorization).toBe(`Basic ${Buffer.from('AWS:secret').toString('base64')}`);
  });

  it('never sends Authorization to another host after a redirect, but keeps it on the same host', async () => {
    const { calls, fetchImpl } = scripted([
      [/\/v2\/$/, () => new Response(null, { status: 401, headers: { 'www-authenticate': 'Basic realm="x"' } })],
      [
        /registry\.example\.test\/v2\/a\/blobs\/one/,
        () => new Response(null, { status: 307, headers: { location: 'https://cdn.example.test/blob?sig=1' } }),
      ],
      [
        /registry\.example\.test\/v2\/a\/blobs\/two/,
        () => new Response(null, { status: 307, headers: { location: '/v2/a/blobs/three' } }),
      ],
      [/cdn\.example\.test|blobs\/three/, () => new Response('data', { status: 200 })],
    ]);
    const transport = new Transport('registry.example.test', {
      runtime: virtualRuntime(),
      fetch: fetchImpl,
      credentials: { username: 'u', password: 'p' },
    });
    await (await transport.send({ method: 'GET', path: '/v2/a/blobs/one', scopes: [], accept: [200] })).bytes();
    await (await transport.send({ method: 'GET', path: '/v2/a/blobs/two', scopes: [], accept: [200] })).bytes();
    expect(calls.find((c) => c.url.startsWith('https://cdn.example.test'))!.authorization).toBeUndefined();
    expect(calls.find((c) => c.url.endsWith('/blobs/three'))!.authorization).toMatch(/^Basic /);
  });

  it('refuses a redirect to plain http on a remote host', async () => {
    const { fetchImpl } = scripted([
      [/\/v2\/$/, () => new Response(null, { status: 200 })],
      [/blobs/, () => new Response(null, { status: 302, headers: { location: 'http://cdn.example.test/blob' } })],
    ]);
    const transport = new Transport('registry.example.test', { runtime: virtualRuntime(), fetch: fetchImpl });
    await expect(transport.send({ method: 'GET', path: '/v2/a/blobs/x', scopes: [], accept: [200] })).rejects.toThrow(
      /plain http on cdn\.example\.test; refused/,
    );
  });

  it('retries 5xx and connection resets with jittered backoff, and honours Retry-After on 429', async () => {
    const runtime = virtualRuntime();
    const { calls, fetchImpl } = scripted([
      [/\/v2\/$/, () => new Response(null, { status: 200 })],
      [
        /manifests/,
        (_u, _c, n) => {
          if (n === 1) return new Response(null, { status: 503 });
          if (n === 2)
            throw Object.assign(new TypeError('fetch failed'), {
              cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
            });
          if (n === 3) return new Response(null, { status: 429, headers: { 'retry-after': '7' } });
          return new Response('{}', { status: 200 });
        },
      ],
    ]);
    const transport = new Transport('registry.example.test', {
      runtime,
      fetch: fetchImpl,
      retry: { maxAttempts: 5, baseDelayMs: 100, maxDelayMs: 10_000 },
    });
    await (await transport.send({ method: 'GET', path: '/v2/a/manifests/1', scopes: [], accept: [200] })).discard();
    expect(calls.filter((c) => c.url.includes('manifests'))).toHaveLength(4);
    // random() is 0.5: half the ceiling plus a quarter of it.
    expect(runtime.slept).toEqual([75, 150, 7000]);
  });

  it('does not retry a client error, and gives up after the last attempt with the registry message', async () => {
    const { calls, fetchImpl } = scripted([
      [/\/v2\/$/, () => new Response(null, { status: 200 })],
      [
        /manifests\/bad/,
        () => Response.json({ errors: [{ code: 'MANIFEST_INVALID', message: 'manifest invalid' }] }, { status: 400 }),
      ],
      [/manifests\/down/, () => new Response('oops', { status: 502, statusText: 'Bad Gateway' })],
    ]);
    const transport = new Transport('registry.example.test', {
      runtime: virtualRuntime(),
      fetch: fetchImpl,
      retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 1 },
    });
    await expect(
      transport.send({ method: 'PUT', path: '/v2/a/manifests/bad', scopes: [], accept: [201] }),
    ).rejects.toThrow(
      'PUT https://registry.example.test/v2/a/manifests/bad answered 400 (MANIFEST_INVALID: manifest invalid)',
    );
    await expect(
      transport.send({ method: 'GET', path: '/v2/a/manifests/down', scopes: [], accept: [200] }),
    ).rejects.toThrow(/answered 502 Bad Gateway/);
    expect(calls.filter((c) => c.url.includes('/bad'))).toHaveLength(1);
    expect(calls.filter((c) => c.url.includes('/down'))).toHaveLength(3);
  });
});

describe('backoffMs', () => {
  it('doubles up to the cap, half of each wait fixed and half random', () => {
    const policy = { maxAttempts: 9, baseDelayMs: 1000, maxDelayMs: 10_000 };
    expect([1, 2, 3, 4, 5, 6].map((attempt) => backoffMs(attempt, policy, () => 0))).toEqual([
      500, 1000, 2000, 4000, 5000, 5000,
    ]);
    expect(backoffMs(1, policy, () => 0.999)).toBe(1000);
  });
});

describe('Pacer', () => {
  it('spaces writes to the configured rate', async () => {
    const runtime = virtualRuntime();
    const pacer = new Pacer(10, runtime);
    const starts: number[] = [];
    for (let i = 0; i < 5; i++) {
      await pacer.take();
      starts.push(runtime.clock.now());
    }
    expect(starts.map((t) => t - starts[0]!)).toEqual([0, 100, 200, 300, 400]);
  });
});

describe('header parsing', () => {
  it('reads challenges with quoted and bare parameters', () => {
    expect(
      parseChallenge(
        'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:a:pull"',
      ),
    ).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:a:pull' },
    });
    expect(parseChallenge('Basic realm=x').scheme).toBe('basic');
    expect(parseChallenge(null).scheme).toBe('none');
  });

  it('reads Retry-After as seconds or a date', () => {
    expect(retryAfterMs('3', 0)).toBe(3000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
    expect(retryAfterMs('soon', 0)).toBeUndefined();
  });
});
