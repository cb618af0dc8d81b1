/** A registry's answer as callers read it: the body as a Node stream, watched for stalls and the deadline. */
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { Deadline } from './deadline.js';
import { asTransportError, redactUrl, RegistryError, StallError } from './errors.js';
import { StallWatchdog } from './stall.js';

/** A response whose body, if read, is watched for stalls. */
export interface RegistryResponse {
  status: number;
  headers: Headers;
  url: string;
  /** The body as a Node stream; must be consumed or destroyed. */
  stream(): Readable;
  bytes(limit?: number): Promise<Buffer>;
  discard(): Promise<void>;
}

/** The controller whose signal the request was sent with; aborting it ends the body too. */
export function attachController(response: Response, controller: AbortController): Response {
  (response as { controller?: AbortController }).controller = controller;
  return response;
}

function controllerOf(response: Response): AbortController {
  return (response as { controller?: AbortController }).controller ?? new AbortController();
}

/** Cancels an answer nobody will read, and stops its deadline. */
export async function release(response: Response, deadline: Deadline): Promise<void> {
  deadline.clear();
  await response.body?.cancel().catch(() => undefined);
}

/** The caller's view of an answer; the deadline runs on until its body is read, discarded or fails. */
export function wrapResponse(response: Response, stallTimeoutMs: number, deadline: Deadline): RegistryResponse {
  const controller = controllerOf(response);
  let taken = false;
  const stream = (): Readable => {
    if (taken) throw new Error('response body already read');
    taken = true;
    if (response.body === null) {
      deadline.clear();
      return Readable.from([]);
    }
    const source = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
    const stop = (error: Error) => {
      controller.abort(error);
      watchdog.destroy(error);
    };
    const watchdog = new StallWatchdog(stallTimeoutMs, () => {
      stop(new StallError(`no data for ${stallTimeoutMs} ms from ${redactUrl(response.url)}`));
    });
    deadline.watch((late) => stop(asTransportError(late, 'GET', response.url)));
    watchdog.on('close', () => deadline.clear());
    source.on('error', (error) => watchdog.destroy(asTransportError(error, 'GET', response.url)));
    return source.pipe(watchdog);
  };
  return {
    status: response.status,
    headers: response.headers,
    url: response.url,
    stream,
    async bytes(limit?: number): Promise<Buffer> {
      const chunks: Buffer[] = [];
      let total = 0;
      for await (const chunk of stream()) {
        total += (chunk as Buffer).length;
        if (limit !== undefined && total > limit) {
          controller.abort();
          const message = `${redactUrl(response.url)}: response larger than ${limit} bytes`;
          throw new RegistryError(message, response.status, undefined, false);
        }
        chunks.push(chunk as Buffer);
      }
      return Buffer.concat(chunks);
    },
    async discard(): Promise<void> {
      if (!taken) await release(response, deadline);
    },
  };
}
