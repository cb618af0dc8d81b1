/** The inputs that choose credentials: the AWS role to assume, and the source login with the one host it belongs to. */
import { credentialHost, registryHostProblem } from '../oci/reference.js';
import { InputError, parseWholeNumber, quote } from './input-parsers.js';

export const DEFAULT_SOURCE_REGISTRY = 'docker.io';
const ROLE_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role\/(?:[\x21-\x7e]{0,510}\/)?([\w+=,.@-]{1,64})$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const DEFAULT_AUDIENCE = 'sts.amazonaws.com';
const DEFAULT_ROLE_DURATION = 3600;

type Get = (name: string) => string;
type Env = Record<string, string | undefined>;

function defaultSessionName(env: Env): string {
  const runId = env['GITHUB_RUN_ID'];
  return runId !== undefined && /^\d{1,52}$/.test(runId) ? `ecr-publish-${runId}` : 'ecr-publish';
}

/** role-to-assume and the settings that only mean something with it. */
export function roleInputs(get: Get, env: Env) {
  const roleToAssume = get('role-to-assume');
  if (roleToAssume !== '' && !ROLE_ARN.test(roleToAssume)) {
    throw new InputError(
      'role-to-assume',
      `${quote(roleToAssume)} is not an IAM role ARN like arn:aws:iam::123456789012:role/name`,
    );
  }
  const withoutRole = (name: string): never => {
    throw new InputError(name, 'only applies with role-to-assume');
  };
  const audience = get('audience') || DEFAULT_AUDIENCE;
  if (/\s/.test(audience)) throw new InputError('audience', `${quote(audience)} contains white space`);
  if (roleToAssume === '' && audience !== DEFAULT_AUDIENCE) withoutRole('audience');
  const sessionInput = get('role-session-name');
  const roleSessionName = sessionInput || defaultSessionName(env);
  if (!SESSION_NAME.test(roleSessionName)) {
    throw new InputError(
      'role-session-name',
      `${quote(roleSessionName)} must be 2 to 64 characters of letters, digits and _+=,.@-`,
    );
  }
  if (roleToAssume === '' && sessionInput !== '') withoutRole('role-session-name');
  const roleDurationSeconds = parseWholeNumber(
    'role-duration-seconds',
    get('role-duration-seconds'),
    DEFAULT_ROLE_DURATION,
    900,
    43200,
    'seconds',
  );
  if (roleToAssume === '' && roleDurationSeconds !== DEFAULT_ROLE_DURATION) withoutRole('role-duration-seconds');
  return { ...(roleToAssume !== '' ? { roleToAssume } : {}), audience, roleSessionName, roleDurationSeconds };
}

/** The source login and the one registry it belongs to. */
export function sourceInputs(get: Get, getInput: Get) {
  const sourceUsername = get('source-username');
  // Never echo the password, not even its length.
  const sourcePassword = getInput('source-password');
  if ((sourceUsername === '') !== (sourcePassword === '')) {
    throw new InputError(
      sourceUsername === '' ? 'source-username' : 'source-password',
      'source-username and source-password must be given together',
    );
  }
  const registryText = get('source-registry') || DEFAULT_SOURCE_REGISTRY;
  const hostProblem = registryHostProblem(registryText);
  if (hostProblem !== undefined)
    throw new InputError('source-registry', `${hostProblem} (a host[:port] such as docker.io or ghcr.io)`);
  const sourceRegistry = credentialHost(registryText);
  if (sourceUsername === '') {
    if (sourceRegistry !== DEFAULT_SOURCE_REGISTRY)
      throw new InputError('source-registry', 'only applies with source-username and source-password');
    return {};
  }
  return { sourceUsername, sourcePassword, sourceRegistry };
}

/** Every form in which the source login travels: the password, and HTTP Basic's base64 of `user:password`. */
export function sourceSecrets(username: string, password: string): string[] {
  if (password === '') return [];
  return username === '' ? [password] : [password, Buffer.from(`${username}:${password}`).toString('base64')];
}
