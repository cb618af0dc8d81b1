/** Everything a run connects to: AWS clients, ensured repositories, the registry login and registry clients. */
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECRPUBLICClient } from '@aws-sdk/client-ecr-public';
import type { Inputs } from '../inputs.js';
import {
  assumeRoleWithGitHubOidc,
  awsClientConfig,
  defaultChainCredentials,
  type AwsCredentialSource,
} from '../aws/credentials.js';
import {
  checkPublicRegistryAlias,
  ensurePublicRepository,
  findPublicRepository,
  getPublicRegistryCredentials,
  publicClientConfig,
} from '../aws/ecr-public.js';
import {
  ensurePrivateRepository,
  findPrivateRepository,
  getPrivateRegistryCredentials,
  type EnsuredRepository,
  type RegistryLogin,
} from '../aws/ecr.js';
import { TransferLimiter } from '../oci/transfer.js';
import { RateLimitObserver } from '../oci/rate-limit.js';
import { credentialsBelongTo } from '../oci/reference.js';
import { connectRegistry, type RegistryClient } from '../oci/registry.js';
import type { RegistryCredentials } from '../oci/transport/credentials.js';
import type { TransportOptions } from '../oci/transport/transport.js';
import { Pacer } from '../retry.js';
import { placeInRegistry, type Plan } from '../plan/plan.js';
import type { PublishEnvironment } from './report.js';
import { sourceFailureAdvice } from './source-advice.js';

/** Private ECR's region when `aws-region` is not set (ECR Public is always us-east-1). */
export const DEFAULT_REGION = 'us-east-1';
const USER_AGENT = 'ecr-publish';

/** A destination repository and the client of its registry host. */
export interface Destination {
  repository: EnsuredRepository;
  client: RegistryClient;
  /** Repository path inside the registry host, e.g. `alias/name` on ECR Public. */
  path: string;
}

/** `role-to-assume` through GitHub OIDC; without it, the SDK's default chain, which must find credentials now. */
export async function awsCredentials(inputs: Inputs, env: PublishEnvironment): Promise<AwsCredentialSource> {
  const region = inputs.awsRegion ?? DEFAULT_REGION;
  if (inputs.roleToAssume === undefined) return defaultChainCredentials(region);
  return assumeRoleWithGitHubOidc({
    roleArn: inputs.roleToAssume,
    audience: inputs.audience,
    sessionName: inputs.roleSessionName,
    durationSeconds: inputs.roleDurationSeconds,
    region,
    getIdToken: (audience) => env.github.getIdToken(audience),
    idTokenAvailable: env.github.idTokenAvailable,
    onSecret: (value) => env.github.setSecret(value),
    runtime: env.runtime,
  });
}

/** `host/a/b` → [`host`, `a/b`]. */
export function splitRepositoryUri(uri: string): [string, string] {
  const slash = uri.indexOf('/');
  if (slash < 0) throw new Error(`repositoryUri "${uri}" has no repository path`);
  return [uri.slice(0, slash), uri.slice(slash + 1)];
}

/** Transport options of a registry client of this run: its login, and every secret it derives masked. */
export function registryTransport(
  env: PublishEnvironment,
  credentials: RegistryCredentials | undefined,
): TransportOptions {
  const login =
    credentials === undefined ? undefined : { username: credentials.username, password: credentials.password };
  // Every Basic form and token the transport derives is masked before it is sent.
  return {
    runtime: env.runtime,
    userAgent: USER_AGENT,
    credentials: login,
    onSecret: (value) => env.github.setSecret(value),
  };
}

export class Connections {
  readonly rateLimits: RateLimitObserver;
  private readonly repositories = new Map<string, Promise<EnsuredRepository>>();
  private readonly ensured = new Map<string, EnsuredRepository>();
  private readonly destinationClients = new Map<string, RegistryClient>();
  private readonly sourceClients = new Map<string, RegistryClient>();
  private registryLogin: RegistryLogin | undefined;

  private constructor(
    private readonly inputs: Inputs,
    private readonly env: PublishEnvironment,
    readonly ecr: ECRClient,
    readonly ecrPublic: ECRPUBLICClient,
    private readonly privateLogin: RegistryLogin | undefined,
    rateLimits?: RateLimitObserver,
  ) {
    this.rateLimits = rateLimits ?? new RateLimitObserver({ runtime: env.runtime });
    // Private ECR's login is known before any repository is ensured, so reads may start earlier.
    this.registryLogin = privateLogin;
  }

  /** Credentials, AWS clients and, for private ECR, the registry login (its host decides gate-only use). */
  static async open(inputs: Inputs, env: PublishEnvironment): Promise<Connections> {
    const credentials = await env.github.group('AWS credentials', () => awsCredentials(inputs, env));
    const ecr = new ECRClient(awsClientConfig(inputs.awsRegion ?? DEFAULT_REGION, credentials));
    const ecrPublic = new ECRPUBLICClient(publicClientConfig(credentials));
    const registryId = inputs.registryId !== undefined ? { registryId: inputs.registryId } : {};
    const privateLogin =
      inputs.registryType === 'private'
        ? await getPrivateRegistryCredentials(ecr, { onSecret: env.github.setSecret, ...registryId })
        : undefined;
    return new Connections(inputs, env, ecr, ecrPublic, privateLogin);
  }

  /**
   * A staged release's second destination: private ECR with `stagingInputs`, on the same credentials and AWS
   * clients, watching the same source rate limits.
   */
  async forStaging(stagingInputs: Inputs): Promise<Connections> {
    const login = await getPrivateRegistryCredentials(this.ecr, { onSecret: this.env.github.setSecret });
    return new Connections(stagingInputs, this.env, this.ecr, this.ecrPublic, login, this.rateLimits);
  }

  /** An image already in the destination registry (gate-only use) stays in its own repository, whatever its depth. */
  placeInRegistry(plan: Plan): Plan {
    const login = this.privateLogin;
    return login === undefined ? plan : placeInRegistry(plan, login.registry, this.inputs.repositoryPrefix);
  }

  /** Every destination repository, created when `create` allows; then the login for their registry. */
  async ensureAll(names: readonly string[]): Promise<void> {
    // Before anything is created: a wrong alias must not publish under the real one.
    const alias = this.inputs.registryType === 'public' ? this.inputs.publicRegistryAlias : undefined;
    if (alias !== undefined) await checkPublicRegistryAlias(this.ecrPublic, alias);
    const calls = new TransferLimiter(4);
    await Promise.all(
      [...new Set(names)].map((name) => calls.run(0, () => this.ensure(name, this.inputs.createRepositories))),
    );
    const first = this.ensured.get(names[0]!)!;
    this.registryLogin =
      this.privateLogin ??
      (await getPublicRegistryCredentials(this.ecrPublic, {
        registry: first.repositoryUri,
        onSecret: this.env.github.setSecret,
      }));
  }

  /**
   * `dry-run: verify`: the destination repositories that exist, only read (no create, no policy), and the
   * login for their registry (none when no repository exists yet on ECR Public). Returns the missing names.
   */
  async findAll(names: readonly string[]): Promise<string[]> {
    const alias = this.inputs.registryType === 'public' ? this.inputs.publicRegistryAlias : undefined;
    if (alias !== undefined) await checkPublicRegistryAlias(this.ecrPublic, alias);
    const registryId = this.inputs.registryId;
    const calls = new TransferLimiter(4);
    const unique = [...new Set(names)];
    const found = await Promise.all(
      unique.map((name) =>
        calls.run(0, () =>
          this.inputs.registryType === 'public'
            ? findPublicRepository(this.ecrPublic, name)
            : findPrivateRepository(this.ecr, name, registryId),
        ),
      ),
    );
    for (const repository of found)
      if (repository !== undefined) this.ensured.set(repository.repositoryName, repository);
    const first = found.find((repository) => repository !== undefined);
    this.registryLogin =
      this.privateLogin ??
      (first === undefined
        ? undefined
        : await getPublicRegistryCredentials(this.ecrPublic, {
            registry: first.repositoryUri,
            onSecret: this.env.github.setSecret,
          }));
    return unique.filter((name) => !this.ensured.has(name));
  }

  /** The repository, described (and created when `create`) once per run. */
  ensure(name: string, create: boolean): Promise<EnsuredRepository> {
    let known = this.repositories.get(name);
    if (known === undefined) {
      known = this.describeOrCreate(name, create).then((repository) => {
        this.ensured.set(name, repository);
        return repository;
      });
      known.catch(() => this.repositories.delete(name));
      this.repositories.set(name, known);
    }
    return known;
  }

  /** The login used for destination registries (and for sources inside them). */
  get login(): RegistryLogin {
    if (this.registryLogin === undefined) throw new Error('no registry login before the repositories are ensured');
    return this.registryLogin;
  }

  /** The registry URL of the run: the first repository's URI without its name. */
  registryOf(repositoryName: string): string {
    const repository = this.ensured.get(repositoryName)!;
    return repository.repositoryUri.slice(0, repository.repositoryUri.length - repository.repositoryName.length - 1);
  }

  /** An ensured repository and a client for its host, one client per host. */
  destination(repositoryName: string): Destination {
    const repository = this.ensured.get(repositoryName);
    if (repository === undefined) throw new Error(`repository "${repositoryName}" was not ensured`);
    return { repository, ...this.destinationRegistry(repository.repositoryUri) };
  }

  /** The destination registry's client for a repository URI, and the repository's path there. */
  destinationRegistry(repositoryUri: string): { client: RegistryClient; path: string } {
    const [host, path] = splitRepositoryUri(repositoryUri);
    let client = this.destinationClients.get(host);
    if (client === undefined) {
      const rate = this.inputs.writeRateLimit;
      const pacer = rate > 0 ? { writePacer: new Pacer(rate, this.env.runtime) } : {};
      client = connectRegistry(host, { ...registryTransport(this.env, this.login), ...pacer });
      this.destinationClients.set(host, client);
    }
    return { client, path };
  }

  /**
   * A source registry's client: the destination login inside the destination registry, the source
   * login only on the `source-registry` host, anonymous everywhere else.
   */
  source(registry: string): RegistryClient {
    let client = this.sourceClients.get(registry);
    if (client === undefined) {
      // A verify that found no repository has no destination login; every source is then outside it.
      const login = this.registryLogin;
      const inDestination = login !== undefined && registry === login.registry;
      const { sourceUsername: username, sourcePassword: password, sourceRegistry } = this.inputs;
      const ours = sourceRegistry !== undefined && credentialsBelongTo(sourceRegistry, registry);
      const sourceLogin =
        ours && username !== undefined && password !== undefined ? { registry, username, password } : undefined;
      const transport = registryTransport(this.env, inDestination ? login : sourceLogin);
      const advice = sourceFailureAdvice(registry, { sourceRegistry, loggedIn: sourceLogin !== undefined });
      client = connectRegistry(
        registry,
        inDestination ? transport : { ...transport, ...this.rateLimits.transportHooks(), failureAdvice: advice },
      );
      this.sourceClients.set(registry, client);
    }
    return client;
  }

  private describeOrCreate(name: string, create: boolean): Promise<EnsuredRepository> {
    const { inputs } = this;
    // A safety net: verify reads through findAll, and must never reach a create or a policy write.
    if (inputs.dryRun !== false) throw new Error(`repository "${name}": no repository is ensured in a dry run`);
    const logger = this.env.runtime.logger;
    if (inputs.registryType === 'public') {
      const policy = inputs.repositoryPolicy !== undefined ? { repositoryPolicyText: inputs.repositoryPolicy } : {};
      return ensurePublicRepository(this.ecrPublic, { repositoryName: name, create, logger, ...policy });
    }
    return ensurePrivateRepository(this.ecr, {
      repositoryName: name,
      create,
      logger,
      ...(inputs.registryId !== undefined ? { registryId: inputs.registryId } : {}),
      settings: {
        imageTagMutability: inputs.imageTagMutability,
        imageTagMutabilityExclusions: inputs.imageTagMutabilityExclusions,
        scanOnPush: inputs.scanOnPush,
        encryptionType: inputs.encryptionType,
        ...(inputs.kmsKey !== undefined ? { kmsKey: inputs.kmsKey } : {}),
        ...(inputs.lifecyclePolicy !== undefined ? { lifecyclePolicyText: inputs.lifecyclePolicy } : {}),
        ...(inputs.repositoryPolicy !== undefined ? { repositoryPolicyText: inputs.repositoryPolicy } : {}),
      },
    });
  }
}
