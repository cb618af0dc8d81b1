import { describe, expect, it } from '@jest/globals';
import { parseRateLimitHeader, RateLimitObserver } from '../../src/oci/rate-limit.js';
import { RegistryClient } from '../../src/oci/registry.js';
import { Transport } from '../../src/oci/transport/transport.js';
import { capturingLogger, virtualRuntime } from '../support/runtime.js';

const HUB = 'registry-1.docker.io';
const MANIFEST = Buffer.from(
  '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{},"layers":[]}',
);

function quotaHeaders(remaining: number | undefined, extra: Record<string, string> = {}): Record<string, string> {
  return remaining === undefined
    ? extra
    : { 'ratelimit-limit': '100;w=21600', 'ratelimit-remaining': `${remaining};w=21600`, ...extra };
}

/**
 * A registry without auth whose manifest GETs answer from a script, one entry per request;
 * the last entry repeats.
 */
function scriptedRegistry(script: { status: number; remaining?: number; headers?: Record<string, string> }[]) {
  const seen: string[] = [];
  let step = 0;
  const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    if (url.pathname === '/v2/') return new Response('{}', { status: 200 });
    seen.push(`${init?.method ?? 'GET'} ${url.pathname}`);
    const answer = script[Math.min(step++, script.length - 1)]!;
    const headers = quotaHeaders(answer.remaining, answer.headers);
    if (answer.status !== 200) {
      return new Response(
        JSON.stringify({ errors: [{ code: 'TOOMANYREQUESTS', message: 'You have reached your pull rate limit.' }] }),
        { status: answer.status, headers },
      );
    }
    return new Response(MANIFEST, {
      status: 200,
      headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json', ...headers },
    });
  }) as typeof fetch;
  return { fetchImpl, seen };
}

function setup(
  script: Parameters<typeof scriptedRegistry>[0],
  observerOptions: { maxWaitMs?: number; pollMs?: number } = {},
  maxAttempts = 1,
) {
  const logger = capturingLogger();
  const runtime = virtualRuntime(logger);
  const observer = new RateLimitObserver({ runtime, ...observerOptions });
  const { fetchImpl, seen } = scriptedRegistry(script);
  const client = new RegistryClient(
    new Transport(HUB, {
      runtime,
      fetch: fetchImpl,
      retry: { maxAttempts, baseDelayMs: 100, maxDelayMs: 1000 },
      ...observer.transportHooks(),
    }),
  );
  return { logger, runtime, observer, client, seen };
}

describe('parseRateLimitHeader', () => {
  it.each([
    ['100;w=21600', { value: 100, windowSeconds: 21600 }],
    ['0;w=21600', { value: 0, windowSeconds: 21600 }],
    ['76', { value: 76 }],
    ['100, 100;w=21600', { value: 100, windowSeconds: 21600 }],
  ])('reads %s', (header, expected) => {
    expect(parseRateLimitHeader(header)).toEqual(expected);
  });

  it.each([[null], [''], ['unlimited']])('gives undefined for %p', (header) => {
    expect(parseRateLimitHeader(header)).toBeUndefined();
  });
});

describe('RateLimitObserver bookkeeping', () => {
  const response = (remaining: number | undefined, status = 200) => ({
    status,
    headers: new Headers(quotaHeaders(remaining)),
  });
  const request = { method: 'GET', url: `https://${HUB}/v2/paketobuildpacks/run/manifests/latest` };

  it('keeps the latest and the lowest remaining count per host, with limit and window', () => {
    const observer = new RateLimitObserver({ runtime: virtualRuntime() });
    observer.observe(response(90), request);
    observer.observe(response(42), request);
    observer.observe(response(55), request);
    observer.observe(response(undefined), {
      method: 'GET',
      url: 'https://123.dkr.ecr.us-east-1.amazonaws.com/v2/x/manifests/y',
    });
    expect(observer.snapshot()).toEqual([
      { host: HUB, limit: 100, windowSeconds: 21600, remaining: 55, lowestRemaining: 42 },
    ]);
    expect(observer.lowQuotaWarnings()).toEqual([]);
  });

  it('warns when the quota ran below 20 pulls', () => {
    const observer = new RateLimitObserver({ runtime: virtualRuntime() });
    observer.observe(response(30), request);
    observer.observe(response(19), request);
    expect(observer.lowQuotaWarnings()).toEqual([
      `${HUB}: only 19 of 100 pulls left per 6 h at the lowest point of this run. Pulls free up over a 6 h window; authenticated pulls have a higher limit.`,
    ]);
  });

  it('warns below 10% of a large limit', () => {
    const observer = new RateLimitObserver({ runtime: virtualRuntime() });
    observer.observe(
      { status: 200, headers: new Headers({ 'ratelimit-limit': '1000;w=21600', 'ratelimit-remaining': '99;w=21600' }) },
      request,
    );
    expect(observer.lowQuotaWarnings()).toHaveLength(1);
    observer.observe(
      {
        status: 200,
        headers: new Headers({ 'ratelimit-limit': '1000;w=21600', 'ratelimit-remaining': '100;w=21600' }),
      },
      request,
    );
    expect(observer.lowQuotaWarnings()).toHaveLength(1);
    const healthy = new RateLimitObserver({ runtime: virtualRuntime() });
    healthy.observe(
      {
        status: 200,
        headers: new Headers({ 'ratelimit-limit': '1000;w=21600', 'ratelimit-remaining': '100;w=21600' }),
      },
      request,
    );
    expect(healthy.lowQuotaWarnings()).toEqual([]);
  });

  it('leaves 429s that are not a spent quota to the transport', () => {
    const observer = new RateLimitObserver({ runtime: virtualRuntime() });
    expect(observer.throttleWaitMs(response(undefined, 429), request)).toBeUndefined();
    expect(observer.throttleWaitMs(response(3, 429), request)).toBeUndefined();
    expect(observer.throttleWaitMs(response(0, 200), request)).toBeUndefined();
    expect(observer.throttleWaitMs(response(0, 429), request)).toBe(60_000);
  });
});

describe('waiting out an exhausted pull quota through the transport', () => {
  it('waits instead of failing, without spending retry attempts, and logs the recovery', async () => {
    const { client, runtime, logger, observer, seen } = setup([
      { status: 429, remaining: 0 },
      { status: 429, remaining: 0 },
      { status: 200, remaining: 7 },
    ]);
    const manifest = await client.getManifest('paketobuildpacks/run', 'latest');
    expect(manifest.bytes.equals(MANIFEST)).toBe(true);
    expect(seen).toHaveLength(3);
    expect(runtime.slept).toEqual([60_000, 60_000]);
    expect(logger.lines.filter((l) => l.startsWith('warning:'))).toEqual([
      `warning: ${HUB}: pull rate limit reached (0 of 100 pulls left per 6 h); waiting up to 10 min for it to recover`,
    ]);
    expect(logger.text()).toContain(`info: ${HUB}: pulls are allowed again after waiting 2 min (7 left)`);
    expect(observer.waitedMs()).toBe(120_000);
    expect(observer.snapshot()[0]).toMatchObject({ remaining: 7, lowestRemaining: 0 });
  });

  it('honours Retry-After on a spent quota', async () => {
    const { client, runtime } = setup([
      { status: 429, remaining: 0, headers: { 'retry-after': '5' } },
      { status: 200, remaining: 1 },
    ]);
    await client.getManifest('paketobuildpacks/run', 'latest');
    expect(runtime.slept).toEqual([5_000]);
  });

  it('gives up after the total wait budget with the registry error', async () => {
    const { client, runtime, logger, observer } = setup([{ status: 429, remaining: 0 }], {
      maxWaitMs: 150_000,
      pollMs: 60_000,
    });
    await expect(client.getManifest('paketobuildpacks/run', 'latest')).rejects.toThrow(/answered 429.*TOOMANYREQUESTS/);
    expect(runtime.slept).toEqual([60_000, 60_000, 30_000]);
    expect(observer.waitedMs()).toBe(150_000);
    expect(logger.text()).toContain(`warning: ${HUB}: pull rate limit still exhausted after waiting 150 s; giving up.`);
    // The budget is per run: a later request does not wait again.
    runtime.slept.splice(0);
    await expect(client.getManifest('paketobuildpacks/run', 'other')).rejects.toThrow(/429/);
    expect(runtime.slept).toEqual([]);
  });

  it('keeps the usual Retry-After retry for other throttling, such as ECR Public TPS limits', async () => {
    const { client, runtime, observer } = setup(
      [{ status: 429, headers: { 'retry-after': '1' } }, { status: 200 }],
      {},
      2,
    );
    await client.getManifest('paketobuildpacks/run', 'latest');
    expect(runtime.slept).toEqual([1_000]);
    expect(observer.snapshot()).toEqual([]);
  });
});
