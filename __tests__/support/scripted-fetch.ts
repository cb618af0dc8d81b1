/** A scripted network for transport unit tests: the first handler whose pattern matches answers; every call is recorded. */

export interface Call {
  url: string;
  method: string;
  authorization: string | undefined;
}

export type Handler = (url: URL, call: Call, n: number) => Response | Promise<Response>;

export function scripted(handlers: [RegExp, Handler][]) {
  const calls: Call[] = [];
  const counts = new Map<RegExp, number>();
  const fetchImpl = (async (input: string | URL | Request, init?: RequestInit) => {
    const url = new URL(String(input));
    const headers = (init?.headers ?? {}) as Record<string, string>;
    const call = { url: url.toString(), method: init?.method ?? 'GET', authorization: headers.authorization };
    calls.push(call);
    for (const [pattern, handler] of handlers) {
      if (pattern.test(url.toString())) {
        const n = (counts.get(pattern) ?? 0) + 1;
        counts.set(pattern, n);
        return handler(url, call, n);
      }
    }
    return new Response('no handler', { status: 599 });
  }) as typeof fetch;
  return { calls, fetchImpl };
}
