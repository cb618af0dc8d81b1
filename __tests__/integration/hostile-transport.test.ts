/** The transport against hostile loopback servers: dripping bodies, huge error bodies, slow honest uploads. */
import { afterEach, describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { RegistryClient } from '../../src/oci/registry.js';
import { Transport, type TransportOptions } from '../../src/oci/transport/transport.js';
import { testRuntime } from '../support/runtime.js';

const servers: Server[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** An open registry on 127.0.0.1 whose every other answer `handle` makes. */
async function hostile(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer((req, res) => {
    res.on('error', () => undefined);
    if (req.url === '/v2/') return void res.writeHead(200).end('{}');
    handle(req, res);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function client(host: string, options: Partial<TransportOptions> = {}): RegistryClient {
  const retry = { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1 };
  return new RegistryClient(new Transport(host, { runtime: testRuntime(), retry, ...options }));
}

/** Headers at once, then one byte every 20 ms, forever: never quiet long enough for the stall timer. */
function drip(res: ServerResponse, contentType: string): void {
  res.writeHead(200, { 'content-type': contentType, 'content-length': String(1 << 30) });
  const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write('x')), 20);
  res.on('close', () => clearInterval(timer));
}

const digest = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

describe('hostile registry', () => {
  it('cuts off a dripping manifest body at the request deadline', async () => {
    const host = await hostile((_req, res) => drip(res, 'application/vnd.oci.image.manifest.v1+json'));
    const started = Date.now();
    await expect(client(host, { stallTimeoutMs: 5_000, deadlineMs: 400 }).getManifest('a', 'latest')).rejects.toThrow(
      /did not finish within 400 ms \(request deadline\)/,
    );
    expect(Date.now() - started).toBeLessThan(4_000);
  }, 15_000);

  it('cuts off a dripping blob at the transfer deadline', async () => {
    const host = await hostile((_req, res) => drip(res, 'application/octet-stream'));
    const registry = client(host, { stallTimeoutMs: 5_000, transferDeadlineMs: 400 });
    const blob = await registry.getBlob('a', { digest: `sha256:${'1'.repeat(64)}`, size: 1 << 30 });
    const read = (async () => {
      for await (const chunk of blob) void chunk;
    })();
    await expect(read).rejects.toThrow(/did not finish within 400 ms \(request deadline\)/);
  }, 15_000);

  it('reads a 300 MB error body no further than 64 KiB: memory stays flat, the message short', async () => {
    const chunk = Buffer.alloc(1 << 20, 'e');
    let sent = 0;
    const host = await hostile((_req, res) => {
      res.writeHead(500, { 'content-type': 'text/plain', 'content-length': String(300 * chunk.length) });
      const pump = () => {
        while (sent < 300 * chunk.length && !res.destroyed) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    const error = (await client(host)
      .getManifest('a', 'latest')
      .catch((e: unknown) => e)) as Error;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
    process.stdout.write(`RSS growth under a 300 MB error body: ${mib(peak - before)} MiB; ${mib(sent)} MiB sent\n`);
    expect(error.message).toMatch(/answered 500/);
    expect(error.message.length).toBeLessThan(400);
    expect(peak - before).toBeLessThan(100 * 2 ** 20);
    expect(sent).toBeLessThan(100 * 2 ** 20);
  }, 60_000);

  it('lets an honest upload take longer than the stall timeout, as long as bytes move', async () => {
    const content = Buffer.alloc(20 * 64 * 1024, 7);
    let received = 0;
    const host = await hostile((req, res) => {
      if (req.method === 'POST') return void res.writeHead(202, { location: '/v2/a/blobs/uploads/1' }).end();
      req.on('data', (data: Buffer) => (received += data.length));
      req.on('end', () => {
        if (req.method === 'PATCH') return void res.writeHead(202, { location: '/v2/a/blobs/uploads/1' }).end();
        res.writeHead(201, { 'docker-content-digest': digest(content) }).end();
      });
    });
    // 20 pieces, 80 ms apart: 1.6 s in all, never quiet for the 500 ms stall timeout.
    const slowly = () =>
      Readable.from(
        (async function* () {
          for (let i = 0; i < 20; i++) {
            await new Promise((resolve) => setTimeout(resolve, 80));
            yield content.subarray(i * 64 * 1024, (i + 1) * 64 * 1024);
          }
        })(),
      );
    const descriptor = { digest: digest(content), size: content.length };
    await client(host, { stallTimeoutMs: 500 }).uploadBlob('a', descriptor, slowly);
    expect(received).toBe(content.length);
  }, 15_000);
});
