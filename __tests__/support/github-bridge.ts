/** The GitHubBridge of in-process publish() tests: OIDC tokens from the emulator, secrets collected, groups named. */
import type { GitHubBridge } from '../../src/publish/report.js';

export interface FakeGitHub extends GitHubBridge {
  secrets: string[];
  groups: string[];
}

/** `env` is the emulator's runner environment (`world.aws.env()`). */
export function fakeGitHub(env: Record<string, string>): FakeGitHub {
  const secrets: string[] = [];
  const groups: string[] = [];
  return {
    secrets,
    groups,
    idTokenAvailable: true,
    // The same request @actions/core's getIDToken() makes.
    async getIdToken(audience) {
      const url = new URL(env.ACTIONS_ID_TOKEN_REQUEST_URL!);
      url.searchParams.set('audience', audience);
      const authorization = `Bearer ${env.ACTIONS_ID_TOKEN_REQUEST_TOKEN!}`;
      const response = await fetch(url, { headers: { authorization } });
      if (!response.ok) throw new Error(`OIDC token request failed: ${response.status}`);
      return ((await response.json()) as { value: string }).value;
    },
    setSecret: (value) => void secrets.push(value),
    group: async (name, work) => {
      groups.push(name);
      return work();
    },
  };
}
