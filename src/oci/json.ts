/** JSON documents as bytes: strict UTF-8 parsing into objects, compact serialization, and the error edits throw. */

/** A document or layer could not be edited or built as asked. */
export class MutationError extends Error {
  override name = 'MutationError';
}

export type JsonObject = Record<string, unknown>;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function parseJsonObject(bytes: Uint8Array, what: string): JsonObject {
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(bytes));
  } catch (error) {
    throw new MutationError(`${what} is not valid JSON: ${(error as Error).message}`);
  }
  if (!isJsonObject(value)) throw new MutationError(`${what} is not a JSON object`);
  return value;
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function serializeJson(value: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(value));
}
