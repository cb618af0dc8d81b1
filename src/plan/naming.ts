/** Where each source image lands: the destination repository name, and the registry when the inputs tell it. */
import { isValidRepository, parseReference, type Reference } from '../oci/reference.js';

/** ECR and ECR Public both allow repository names of 2 to 256 characters. */
const MIN_REPOSITORY_LENGTH = 2;
const MAX_REPOSITORY_LENGTH = 256;

/** The last path segment of a source repository: `paketobuildpacks/run-jammy-base` → `run-jammy-base`. */
export function baseName(repository: string): string {
  const slash = repository.lastIndexOf('/');
  return slash < 0 ? repository : repository.slice(slash + 1);
}

/**
 * The destination repository for a source image: the prefix plus either the rename (` => NAME`)
 * or the last path segment of the source repository. The prefix applies to renames too, so one
 * `repository-prefix` keeps every image of a run under the same namespace.
 *
 * The builder run-image mirror maps run-image references through this same function, so a mirror
 * always names the repository this action publishes the run image to.
 */
export function destinationRepository(source: Reference | string, repositoryPrefix: string, rename?: string): string {
  const ref = typeof source === 'string' ? parseReference(source) : source;
  return repositoryPrefix + (rename ?? baseName(ref.repository));
}

/** `lifecycle-image` lands in `<repository-prefix>lifecycle`, whatever the source repository is called. */
export const LIFECYCLE_REPOSITORY = 'lifecycle';

/** Why a destination repository name is unusable in ECR, or undefined when it is fine. */
export function destinationNameProblem(name: string): string | undefined {
  if (name.length < MIN_REPOSITORY_LENGTH || name.length > MAX_REPOSITORY_LENGTH) {
    return `"${name}" must be ${MIN_REPOSITORY_LENGTH} to ${MAX_REPOSITORY_LENGTH} characters long`;
  }
  if (!name.split('/').every((component) => isValidRepository(component))) {
    return `"${name}" is not a valid repository name (lowercase letters, digits, and . _ - / between them)`;
  }
  return undefined;
}

/**
 * Why a repository prefix is unusable, or undefined. The prefix is glued to names as is, so
 * `buildpacks/` gives `buildpacks/run-jammy-base` and `paketo-` gives `paketo-run-jammy-base`.
 */
export function repositoryPrefixProblem(prefix: string): string | undefined {
  if (prefix === '') return undefined;
  if (!`${prefix}a`.split('/').every((component) => isValidRepository(component))) {
    return `"${prefix}" does not give valid repository names (lowercase letters, digits, and . _ - / between them)`;
  }
  if (prefix.length > MAX_REPOSITORY_LENGTH - 1)
    return `"${prefix}" is longer than ${MAX_REPOSITORY_LENGTH - 1} characters`;
  return undefined;
}

/** What names the destination registry before AWS is asked. */
export interface RegistryNaming {
  readonly registryType: 'public' | 'private';
  readonly publicRegistryAlias?: string;
  readonly registryId?: string;
  readonly awsRegion?: string;
}

/** AWS's DNS suffix per partition; the isolated partitions are left unknown. */
function dnsSuffix(region: string): string | undefined {
  if (region.startsWith('cn-')) return 'amazonaws.com.cn';
  if (/^[a-z]+-iso/.test(region)) return undefined;
  return 'amazonaws.com';
}

/**
 * The registry a run publishes to, as AWS names it, when the inputs alone tell it (a dry run asks no one):
 * `public.ecr.aws/<alias>`, or `<registry-id>.dkr.ecr.<region>.amazonaws.com`; undefined otherwise (private
 * without registry-id is the caller's account, unknown without credentials). A real run uses ECR's
 * `repositoryUri` instead, which also holds against an emulator.
 */
export function expectedRegistry(naming: RegistryNaming): string | undefined {
  if (naming.registryType === 'public') {
    return naming.publicRegistryAlias === undefined ? undefined : `public.ecr.aws/${naming.publicRegistryAlias}`;
  }
  if (naming.registryId === undefined || naming.awsRegion === undefined) return undefined;
  const suffix = dnsSuffix(naming.awsRegion);
  return suffix === undefined ? undefined : `${naming.registryId}.dkr.ecr.${naming.awsRegion}.${suffix}`;
}
