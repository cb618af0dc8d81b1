/** Registry credentials (the one definition) and the Basic header they make. */

/** Username and password for a registry: AWS + token for ECR, a Docker Hub login, … */
export interface RegistryCredentials {
  username: string;
  password: string;
}

export function basicAuthorization(credentials: RegistryCredentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
}
