/** Small helpers for AWS SDK calls: the optional registryId field and reading thrown service errors. */

/** Spread into a request: absent means the caller's own registry. */
export function registryField(registryId: string | undefined): { registryId?: string } {
  return registryId !== undefined ? { registryId } : {};
}

/** The service exception's name (`ScanNotFoundException`, …), or '' for anything else. */
export function errorName(error: unknown): string {
  return error instanceof Error ? error.name : '';
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
