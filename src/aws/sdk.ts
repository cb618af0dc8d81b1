/** Reading what AWS SDK calls throw (name, one-line text, EcrError) and the optional registryId field of requests. */

/** Spread into a request: absent means the caller's own registry. */
export function registryField(registryId: string | undefined): { registryId?: string } {
  return registryId !== undefined ? { registryId } : {};
}

/** The service exception's name (`ScanNotFoundException`, …), or '' for anything else. */
export function errorName(error: unknown): string {
  const name = typeof error === 'object' && error !== null ? (error as { name?: unknown }).name : undefined;
  return typeof name === 'string' ? name : '';
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class EcrError extends Error {
  override name = 'EcrError';
}

/** One line: the AWS error code and message, never a stack. */
export function awsErrorText(error: unknown): string {
  if (typeof error !== 'object' || error === null) return String(error);
  const { name, message } = error as { name?: unknown; message?: unknown };
  const prefix = typeof name === 'string' && name !== 'Error' ? `${name}: ` : '';
  return `${prefix}${typeof message === 'string' ? message : String(error)}`.replace(/\s+/g, ' ').trim();
}

export function hasErrorName(error: unknown, name: string): boolean {
  return errorName(error) === name;
}
