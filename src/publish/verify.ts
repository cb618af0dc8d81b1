/** Verify step (`dry-run: verify`): read the source and the destination, report per image and tag what is out of step; write nothing. */
import type { Inputs } from '../inputs.js';
import { TransferLimiter } from '../oci/transfer.js';
import type { Plan, PlanEntry } from '../plan/plan.js';
import { Connections } from './connections.js';
import { emptyReport } from './dry-run.js';
import { IN_STEP, type PublishEnvironment, type PublishReport, type VerifyRow } from './report.js';
import { referenceOf } from './resolve.js';
import { verifyTags } from './verify-tags.js';

/**
 * Only reads: credentials, DescribeRegistries/DescribeRepositories, the registry logins, and HEAD/GET at the
 * registries. Repositories are found, never ensured (Connections refuses to ensure in a dry run).
 */
export async function verifyRelease(requested: Plan, inputs: Inputs, env: PublishEnvironment): Promise<PublishReport> {
  const { github, runtime } = env;
  const connections = await Connections.open(inputs, env);
  const plan = connections.placeInRegistry(requested);
  const absent = new Set(
    await github.group('Repositories (read only)', () =>
      connections.findAll(plan.entries.map((entry) => entry.repository)),
    ),
  );
  const requests = new TransferLimiter(inputs.concurrency);
  const rows = await github.group(`Verify ${plan.entries.length} image(s)`, async () =>
    (
      await Promise.all(
        plan.entries.map((entry) =>
          requests.run(0, () => verifyImage(entry, connections, absent.has(entry.repository))),
        ),
      )
    ).flat(),
  );
  for (const row of rows)
    runtime.logger.info(`${row.repository}:${row.tag} ${row.status}${row.detail === '' ? '' : `: ${row.detail}`}`);
  const present = plan.entries.find((entry) => !absent.has(entry.repository));
  return {
    ...emptyReport(inputs, plan),
    registry: present === undefined ? '' : connections.registryOf(present.repository),
    verify: { rows, outOfStep: rows.filter((row) => !IN_STEP.has(row.status)).length },
  };
}

async function verifyImage(entry: PlanEntry, connections: Connections, absent: boolean): Promise<VerifyRow[]> {
  const tags = entry.tags.length > 0 ? entry.tags.map((t) => t.tag) : [''];
  const rows = (sourceDigest: string, status: VerifyRow['status'], detail: string): VerifyRow[] =>
    tags.map((tag) => ({
      source: entry.sourceName,
      sourceDigest,
      repository: entry.repository,
      tag,
      status,
      digest: '',
      detail,
    }));
  const head = await connections
    .source(entry.source.registry)
    .headManifest(entry.source.repository, referenceOf(entry.source));
  if (head === undefined) return rows('', 'source-missing', `source image ${entry.sourceName} not found`);
  if (entry.source.digest !== undefined && head.digest !== entry.source.digest)
    throw new Error(`source image ${entry.sourceName} answered with digest ${head.digest}`);
  if (absent) return rows(head.digest, 'missing', `repository "${entry.repository}" does not exist`);
  return verifyTags(entry, head.digest, connections.destination(entry.repository));
}
