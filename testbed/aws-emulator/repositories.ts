/** What private ECR and ECR Public share: repository records, parameter reading, pagination, injected faults. */
import { AwsError } from './http.js';
import type { ImageId } from './images.js';

export type Authorize = (action: string, resource: string) => void;

export interface EmulatedRepository {
  name: string;
  arn: string;
  /** What ECR returns as repositoryUri: `<registry host>/<path>`. */
  uri: string;
  /** The repository's path in the backing registry. */
  registryPath: string;
  createdAt: Date;
  tags: { Key: string; Value: string }[];
  policyText?: string;
  // Private ECR only.
  imageTagMutability?: string;
  imageTagMutabilityExclusionFilters?: { filterType: 'WILDCARD'; filter: string }[];
  scanOnPush?: boolean;
  encryption?: { encryptionType: string; kmsKey?: string };
  lifecyclePolicyText?: string;
  // ECR Public only.
  catalogData?: Record<string, unknown>;
}

export interface OperationFault {
  /** Only calls of this operation consume the fault; any operation when absent. */
  operation?: string;
  code: string;
  message?: string;
  status?: number;
}

export class FaultQueue {
  private readonly faults: OperationFault[] = [];

  push(faults: OperationFault[]): void {
    this.faults.push(...faults);
  }

  /** Throws the first queued fault meant for this operation, consuming it. */
  take(operation: string): void {
    const index = this.faults.findIndex((fault) => fault.operation === undefined || fault.operation === operation);
    if (index < 0) return;
    const [fault] = this.faults.splice(index, 1);
    if (fault !== undefined) throw new AwsError(fault.code, fault.message ?? 'Injected failure', fault.status ?? 400);
  }
}

export function requiredString(params: Record<string, unknown>, name: string): string {
  const value = params[name];
  if (typeof value !== 'string' || value === '') {
    throw new AwsError(
      'ValidationException',
      `1 validation error detected: Value null at '${name}' failed to satisfy constraint: Member must not be null`,
    );
  }
  return value;
}

export function optionalString(params: Record<string, unknown>, name: string): string | undefined {
  const value = params[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new AwsError('SerializationException', `${name} must be a string`);
  return value;
}

export function optionalNumber(params: Record<string, unknown>, name: string): number | undefined {
  const value = params[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number') throw new AwsError('SerializationException', `${name} must be a number`);
  return value;
}

export function optionalObject(params: Record<string, unknown>, name: string): Record<string, unknown> | undefined {
  const value = params[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value))
    throw new AwsError('SerializationException', `${name} must be an object`);
  return value as Record<string, unknown>;
}

export function imageIds(params: Record<string, unknown>, name = 'imageIds'): ImageId[] | undefined {
  const value = params[name];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw new AwsError('SerializationException', `${name} must be a list`);
  return value.map((entry: unknown) => imageId(entry, name));
}

export function imageId(value: unknown, name = 'imageId'): ImageId {
  const entry = (value ?? {}) as Record<string, unknown>;
  const id: ImageId = {};
  const digest = optionalString(entry, 'imageDigest');
  const tag = optionalString(entry, 'imageTag');
  if (digest !== undefined) id.imageDigest = digest;
  if (tag !== undefined) id.imageTag = tag;
  if (digest === undefined && tag === undefined) {
    throw new AwsError(
      'InvalidParameterException',
      `Invalid parameter at '${name}' failed to satisfy constraint: 'Either imageDigest or imageTag must be specified'`,
    );
  }
  return id;
}

// ECR's repository name rule.
const REPOSITORY_NAME = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

export function validateRepositoryName(name: string): void {
  if (name.length < 2 || name.length > 256 || !REPOSITORY_NAME.test(name)) {
    throw new AwsError(
      'InvalidParameterException',
      `Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression '(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*''`,
    );
  }
}

export function validatePolicyJson(text: string, what: string, parameter: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const ok =
    parsed !== null &&
    typeof parsed === 'object' &&
    (what === 'lifecycle' ? Array.isArray((parsed as { rules?: unknown }).rules) : 'Statement' in parsed);
  if (!ok) {
    throw new AwsError(
      'InvalidParameterException',
      what === 'lifecycle'
        ? `Invalid parameter at '${parameter}' failed to satisfy constraint: 'Lifecycle policy validation failure: object has missing required properties (["rules"])'`
        : `Invalid parameter at '${parameter}' failed to satisfy constraint: 'Invalid repository policy provided'`,
    );
  }
}

/** Slices a list by maxResults and an opaque offset token. */
export function paginate<T>(
  items: T[],
  maxResults: number | undefined,
  nextToken: string | undefined,
  defaultPageSize = 100,
): { page: T[]; nextToken?: string } {
  const offset = nextToken === undefined ? 0 : Number(Buffer.from(nextToken, 'base64url').toString('utf8'));
  if (!Number.isInteger(offset) || offset < 0)
    throw new AwsError(
      'InvalidParameterException',
      "Invalid parameter at 'nextToken' failed to satisfy constraint: 'Invalid pagination token'",
    );
  const size = maxResults ?? defaultPageSize;
  const page = items.slice(offset, offset + size);
  return offset + size < items.length
    ? { page, nextToken: Buffer.from(String(offset + size)).toString('base64url') }
    : { page };
}
