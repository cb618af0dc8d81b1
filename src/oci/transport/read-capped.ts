/** Small answers (error bodies, token answers) read up to a hard cap, then the connection let go. */

/** Error bodies and token answers are small; a hostile server may send gigabytes. */
export const SMALL_BODY_LIMIT = 64 * 1024;

export interface CappedBody {
  text: string;
  /** False when the body went on past the cap (the rest was never read). */
  complete: boolean;
}

/** Reads at most `limit` bytes of the body, then cancels the stream so the rest is never received. */
export async function readCapped(response: Response, limit = SMALL_BODY_LIMIT): Promise<CappedBody> {
  if (response.body === null) return { text: '', complete: true };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let complete = true;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const room = limit - total;
      chunks.push(value.length > room ? value.subarray(0, room) : value);
      total += Math.min(value.length, room);
      if (value.length > room) {
        complete = false;
        break;
      }
    }
  } finally {
    if (!complete) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
  return { text: Buffer.concat(chunks).toString('utf8'), complete };
}
