/** The registry API side of emulated ECR: a counting front of the backing registry that refuses to move an immutable tag. */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { startProxy, type Proxy } from '../http-proxy.js';
import type { EcrEmulator } from './ecr.js';
import type { RegistryBackendConfig } from './registry-backend.js';
import { immutableTagMessage, tagIsImmutable } from './tag-mutability.js';

const MANIFEST_BY_TAG = /^\/v2\/(.+)\/manifests\/([^/:@]+)$/;

async function readRequest(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Starts the front and makes the emulator name it in repository URIs and logins. A manifest PUT by
 * tag onto an immutable tag that holds another digest gets ECR's answer, 400 TAG_INVALID; everything
 * else reaches the registry unchanged. `received` counts every request, by method.
 */
export async function startEcrRegistryFront(ecr: EcrEmulator, backend: RegistryBackendConfig): Promise<Proxy> {
  const login = `Basic ${Buffer.from(`${backend.username}:${backend.password}`).toString('base64')}`;
  const guarded = (request: IncomingMessage) => {
    const match = MANIFEST_BY_TAG.exec(new URL(request.url ?? '/', 'http://front').pathname);
    // Unauthenticated requests go on, so the registry's own 401 challenge answers them.
    if (request.method !== 'PUT' || match === null || request.headers.authorization !== login) return undefined;
    const [, path = '', tag = ''] = match;
    const repository = [...ecr.repositories.values()].find((r) => r.registryPath === path);
    return repository !== undefined && tagIsImmutable(repository, tag) ? { repository, path, tag } : undefined;
  };
  const answer = async (
    request: IncomingMessage,
    response: ServerResponse,
    put: NonNullable<ReturnType<typeof guarded>>,
  ) => {
    const body = await readRequest(request);
    const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    const current = await ecr.images.tagDigest(put.path, put.tag);
    if (current !== undefined && current !== digest) {
      response.writeHead(400, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          errors: [{ code: 'TAG_INVALID', message: immutableTagMessage(put.tag, put.repository.name) }],
        }),
      );
      return;
    }
    const upstream = await fetch(`http://${backend.host}${request.url ?? '/'}`, {
      method: 'PUT',
      headers: {
        authorization: login,
        'content-type': request.headers['content-type'] ?? 'application/octet-stream',
      },
      body,
    });
    const headers: Record<string, string> = {};
    upstream.headers.forEach((value, name) => {
      if (name !== 'content-length' && name !== 'transfer-encoding' && name !== 'connection') headers[name] = value;
    });
    response.writeHead(upstream.status, headers);
    response.end(Buffer.from(await upstream.arrayBuffer()));
  };
  const front = await startProxy({
    target: `http://${backend.host}`,
    intercept: (request, response) => {
      const put = guarded(request);
      if (put === undefined) return false;
      answer(request, response, put).catch((error: unknown) => {
        if (!response.headersSent) response.writeHead(502);
        response.end(String(error));
      });
      return true;
    },
  });
  ecr.serveRegistryAt(front.host);
  return front;
}
