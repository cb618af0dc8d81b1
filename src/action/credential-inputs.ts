/** The inputs that choose credentials: the AWS role to assume, and the source login with the one host it belongs to. */
import { credentialHost, registryHostProblem } from '../oci/reference.js';
import { type Env, type Get, InputError, InputProblems, parseWholeNumber, quote } from './input-parsers.js';

export const DEFAULT_SOURCE_REGISTRY = 'docker.io';
const ROLE_ARN = /^arn:(aws|aws-cn|aws-us-gov):iam::(\d{12}):role\/(?:[\x21-\x7e]{0,510}\/)?([\w+=,.@-]{1,64})$/;
const SESSION_NAME = /^[\w+=,.@-]{2,64}$/;
const DEFAULT_AUDIENCE = 'sts.amazonaws.com';
const DEFAULT_ROLE_DURATION = 3600;

function defaultSessionName(env: Env): string {
  const runId = env['GITHUB_RUN_ID'];
  return runId !== undefined && /^\d{1,52}$/.test(runId) ? `ecr-publish-${runId}` : 'ecr-publish';
}

/** role-to-assume and the settings that only mean something with it. */
export function roleInputs(get: Get, env: Env, p: InputProblems) {
  // Judged by what was written: a malformed role still counts as given for the checks below.
  const roleText = get('role-to-assume');
  const roleToAssume = p.take(() => {
    if (roleText !== '' && !ROLE_ARN.test(roleText)) {
      throw new InputError(
        'role-to-assume',
        `${quote(roleText)} is not an IAM role ARN like arn:aws:iam::123456789012:role/name`,
      );
    }
    return roleText;
  }, '');
  const withoutRole = (name: string): void => {
    if (roleText === '') throw new InputError(name, 'only applies with role-to-assume');
  };
  const audience = p.take(() => {
    const value = get('audience') || DEFAULT_AUDIENCE;
    if (/\s/.test(value)) throw new InputError('audience', `${quote(value)} contains white space`);
    if (value !== DEFAULT_AUDIENCE) withoutRole('audience');
    return value;
  }, DEFAULT_AUDIENCE);
  const roleSessionName = p.take(() => {
    const input = get('role-session-name');
    const name = input || defaultSessionName(env);
    if (!SESSION_NAME.test(name)) {
      throw new InputError(
        'role-session-name',
        `${quote(name)} must be 2 to 64 characters of letters, digits and _+=,.@-`,
      );
    }
    if (input !== '') withoutRole('role-session-name');
    return name;
  }, defaultSessionName(env));
  const roleDurationSeconds = p.take(() => {
    const seconds = parseWholeNumber(
      'role-duration-seconds',
      get('role-duration-seconds'),
      DEFAULT_ROLE_DURATION,
      900,
      43200,
      'seconds',
    );
    if (seconds !== DEFAULT_ROLE_DURATION) withoutRole('role-duration-seconds');
    return seconds;
  }, DEFAULT_ROLE_DURATION);
  return { ...(roleToAssume !== '' ? { roleToAssume } : {}), audience, roleSessionName, roleDurationSeconds };
}

/** The source login and the one registry it belongs to. */
export function sourceInputs(get: Get, getInput: Get, p: InputProblems) {
  const sourceUsername = get('source-username');
  // Never echo the password, not even its length.
  const sourcePassword = getInput('source-password');
  const paired = p.take(() => {
    if ((sourceUsername === '') !== (sourcePassword === '')) {
      throw new InputError(
        sourceUsername === '' ? 'source-username' : 'source-password',
        'source-username and source-password must be given together',
      );
    }
    return true;
  }, false);
  const sourceRegistry = p.take(() => {
    const registryText = get('source-registry') || DEFAULT_SOURCE_REGISTRY;
    const hostProblem = registryHostProblem(registryText);
    if (hostProblem !== undefined)
      throw new InputError('source-registry', `${hostProblem} (a host[:port] such as docker.io or ghcr.io)`);
    const host = credentialHost(registryText);
    if (sourceUsername === '' && sourcePassword === '' && host !== DEFAULT_SOURCE_REGISTRY)
      throw new InputError('source-registry', 'only applies with source-username and source-password');
    return host;
  }, DEFAULT_SOURCE_REGISTRY);
  if (!paired || sourceUsername === '') return {};
  return { sourceUsername, sourcePassword, sourceRegistry };
}

/** Every form in which the source login travels: the password, and HTTP Basic's base64 of `user:password`. */
export function sourceSecrets(username: string, password: string): string[] {
  if (password === '') return [];
  return username === '' ? [password] : [password, Buffer.from(`${username}:${password}`).toString('base64')];
}
