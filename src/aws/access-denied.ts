/** What to grant when private ECR answers AccessDenied: which policy, in which account, must allow what. */
import { awsErrorText, hasErrorName } from './sdk.js';

/** What a publishing role does in a repository: read it, then push layers and manifests. */
const REPOSITORY_ACTIONS = [
  'ecr:DescribeRepositories',
  'ecr:DescribeImages',
  'ecr:BatchGetImage',
  'ecr:GetDownloadUrlForLayer',
  'ecr:BatchCheckLayerAvailability',
  'ecr:InitiateLayerUpload',
  'ecr:UploadLayerPart',
  'ecr:CompleteLayerUpload',
  'ecr:PutImage',
].join(', ');

/** The account of the caller an AccessDenied message names (`User: arn:aws:sts::123456789012:assumed-role/…`). */
export function callerAccountOf(text: string): string | undefined {
  return /\b(?:User|Principal): arn:[\w-]+:(?:sts|iam)::(\d{12}):/.exec(text)?.[1];
}

/** Every repository of the registry whose ARN the message names, e.g. `arn:aws:ecr:us-west-2:210987654321:repository/*`. */
function registryArns(text: string, registryId: string | undefined, region: string): string {
  const named = /on resource: (arn:[\w-]+:ecr:[\w-]+:\d{12}:repository\/)/.exec(text)?.[1];
  return named !== undefined ? `${named}*` : `arn:aws:ecr:${region}:${registryId ?? '<account>'}:repository/*`;
}

/**
 * The error line for an AccessDeniedException from a repository call, naming the next step; undefined for any other
 * error. With `registry-id` of another account, both sides must allow: this role's policy and that account's
 * repository policy (AWS says which one refused: "no identity-based" or "no resource-based policy allows").
 */
export function repositoryAccessDenied(
  error: unknown,
  what: string,
  options: { registryId: string | undefined; region: string },
): string | undefined {
  if (!hasErrorName(error, 'AccessDeniedException')) return undefined;
  const text = awsErrorText(error);
  const { registryId, region } = options;
  const arns = registryArns(text, registryId, region);
  const caller = callerAccountOf(text);
  if (registryId === undefined || registryId === caller)
    return `${what}: ${text}. The role's policy must allow ${REPOSITORY_ACTIONS} on ${arns} (see IAM in the README).`;
  const next = /no resource-based policy allows/.test(text)
    ? `account ${registryId} must grant this role ${REPOSITORY_ACTIONS} in the repository policy of each repository`
    : `this role's policy must allow ${REPOSITORY_ACTIONS} on ${arns}, and account ${registryId} must grant them ` +
      'to this role in the repository policy of each repository';
  return `${what} in registry ${registryId} of another account: ${text}. To publish there, ${next}.`;
}
