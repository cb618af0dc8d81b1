/** Streamed uploads over node:http(s), which write only as fast as the socket drains. */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

type BodyInitStream = NonNullable<ConstructorParameters<typeof Response>[0]>;

function asBody(incoming: IncomingMessage): BodyInitStream {
  return Readable.toWeb(incoming) as unknown as WebReadableStream<Uint8Array> as unknown as BodyInitStream;
}

/**
 * A streamed upload over node:http, which writes only as fast as the socket drains: fetch on
 * Node 20 reads a streamed body ahead without bound, so memory would grow with the blob.
 */
export function streamRequest(
  url: string,
  method: string,
  headers: Record<string, string>,
  body: Readable,
  signal: AbortSignal,
): Promise<Response> {
  return new Promise<Response>((resolve, reject) => {
    const target = new URL(url);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const request = send(target, { method, headers, signal }, (incoming: IncomingMessage) => {
      const response = toResponse(incoming);
      Object.defineProperty(response, 'url', { value: url });
      resolve(response);
    });
    request.on('error', reject);
    body.on('error', (error) => request.destroy(error));
    body.pipe(request);
  });
}

/** A fetch `Response` over node:http's answer; statuses that carry no body drain it at once. */
function toResponse(incoming: IncomingMessage): Response {
  const status = incoming.statusCode ?? 0;
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const withoutBody = status === 204 || status === 205 || status === 304;
  const body = withoutBody ? null : asBody(incoming);
  const response = new Response(body, { status, statusText: incoming.statusMessage ?? '', headers });
  if (withoutBody) incoming.resume();
  return response;
}
