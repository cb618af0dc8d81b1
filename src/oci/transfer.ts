/** Shared transfer state of a run: where each blob is known to be (for mounts) and how many transfers run at once. */

/**
 * What a registry mounts across repositories: any blob the `from` repository holds (the OCI spec), only
 * a blob a manifest there already references (private ECR with BLOB_MOUNTING, containers-roadmap #2860),
 * or nothing (ECR Public, #1459; private ECR without the setting). A refused mount costs nothing: its
 * 202 starts the upload.
 */
export type MountRule = 'spec' | 'referenced' | 'never';

/**
 * What this run knows to exist in each destination registry: digest → repositories, and which of
 * them a written manifest references. A blob in another repository of the same registry can be
 * mounted instead of uploaded. Each registry's mount rule starts as given (or `spec`) and is
 * learnt from refusals, so a registry that refused is not asked, or waited on, in vain again.
 */
export class BlobLocations {
  private readonly present = new Map<string, Set<string>>();
  private readonly referenced = new Map<string, Set<string>>();
  private readonly uploading = new Map<string, Promise<void>>();
  private readonly rules = new Map<string, MountRule>();
  private readonly ruleChanged = new Map<string, { changed: Promise<void>; signal: () => void }>();

  constructor(readonly initialRule: (registry: string) => MountRule | undefined = () => undefined) {}

  rule(registry: string): MountRule {
    let rule = this.rules.get(registry);
    if (rule === undefined) this.rules.set(registry, (rule = this.initialRule(registry) ?? 'spec'));
    return rule;
  }

  /** The blob is in `repository` (uploaded, mounted or found there). */
  record(registry: string, repository: string, digest: string): void {
    add(this.present, `${registry}\u0000${digest}`, repository);
  }

  /** A manifest referencing `digests` is stored in `repository`: ECR will now mount them from it. */
  recordManifest(registry: string, repository: string, digests: readonly string[]): void {
    for (const digest of digests) {
      this.record(registry, repository, digest);
      add(this.referenced, `${registry}\u0000${digest}`, repository);
    }
  }

  has(registry: string, repository: string, digest: string): boolean {
    return this.present.get(`${registry}\u0000${digest}`)?.has(repository) === true;
  }

  mountCandidate(registry: string, repository: string, digest: string): string | undefined {
    const rule = this.rule(registry);
    if (rule === 'never') return undefined;
    const key = `${registry}\u0000${digest}`;
    const pools = rule === 'spec' ? [this.referenced.get(key), this.present.get(key)] : [this.referenced.get(key)];
    for (const pool of pools) for (const candidate of pool ?? []) if (candidate !== repository) return candidate;
    return undefined;
  }

  /** The registry answered a mount from `from` with a fresh upload: learn its rule. */
  mountRefused(registry: string, from: string, digest: string): void {
    const wasReferenced = this.referenced.get(`${registry}\u0000${digest}`)?.has(from) === true;
    const before = this.rule(registry);
    const after: MountRule = wasReferenced ? 'never' : before === 'spec' ? 'referenced' : before;
    if (after === before) return;
    this.rules.set(registry, after);
    this.ruleChanged.get(registry)?.signal();
    this.ruleChanged.delete(registry);
  }

  /**
   * Takes the registry's slot for one blob: while another repository holds it, wait, since its copy
   * will let us mount instead of upload. Claimed before any request, so two images that need the
   * same blob at the same moment never both upload it. Only where the spec's rule holds: elsewhere
   * the other copy is no use until its manifest is written, and waiting for that could deadlock.
   */
  async claim(registry: string, digest: string): Promise<() => void> {
    const key = `${registry}\u0000${digest}`;
    for (let held = this.uploading.get(key); held !== undefined; held = this.uploading.get(key)) {
      if (this.rule(registry) !== 'spec') break;
      await Promise.race([held, this.changeOf(registry)]);
    }
    if (this.rule(registry) !== 'spec') return () => undefined;
    let release!: () => void;
    this.uploading.set(key, new Promise<void>((resolve) => (release = resolve)));
    return () => {
      this.uploading.delete(key);
      release();
    };
  }

  private changeOf(registry: string): Promise<void> {
    let entry = this.ruleChanged.get(registry);
    if (entry === undefined) {
      let signal!: () => void;
      const changed = new Promise<void>((resolve) => (signal = resolve));
      this.ruleChanged.set(registry, (entry = { changed, signal }));
    }
    return entry.changed;
  }
}

function add(map: Map<string, Set<string>>, key: string, value: string): void {
  let values = map.get(key);
  if (values === undefined) map.set(key, (values = new Set()));
  values.add(value);
}

/** Bounds blob transfers across every image copied at once; the largest waiting blob goes first. */
export class TransferLimiter {
  private active = 0;
  private readonly waiting: { size: number; start: () => void }[] = [];

  constructor(readonly limit: number) {}

  async run<T>(size: number, work: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) {
      await new Promise<void>((start) => {
        this.waiting.push({ size, start });
        this.waiting.sort((a, b) => b.size - a.size);
      });
    } else {
      this.active++;
    }
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next !== undefined) next.start();
      else this.active--;
    }
  }
}
