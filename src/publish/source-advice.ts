/** The next step when a source registry refuses pulls for their rate (Docker Hub's 429 `toomanyrequests`). */
import { credentialsBelongTo } from '../oci/reference.js';

/**
 * Advice for a source registry client's error answers: a 429 that outlasted the retries means the pull quota is
 * spent. Anonymous pulls count per IP address (shared by hosted runners); a login counts against its account.
 */
export function sourceFailureAdvice(
  registry: string,
  login: { sourceRegistry: string | undefined; loggedIn: boolean },
): (status: number) => string | undefined {
  return (status) => {
    if (status !== 429) return undefined;
    if (login.loggedIn)
      return `the pull rate limit of the source-username account on ${registry} is spent: wait for it to recover, or use an account with a higher limit`;
    const { sourceRegistry } = login;
    const host =
      sourceRegistry !== undefined && credentialsBelongTo(sourceRegistry, registry)
        ? ''
        : ` with source-registry: ${registry}`;
    return (
      `the pull rate limit of ${registry} is spent; anonymous pulls are limited per IP address (hosted runners share ` +
      `theirs): give source-username and source-password${host} (for Docker Hub, an access token) so pulls count against an account`
    );
  };
}
