/** Shared transfer state of a run: where each blob is known to be (for mounts) and how many transfers run at once. */

/**
 * What this run knows to exist in each destination registry: digest → repositories. A blob in
 * another repository of the same registry can be mounted instead of uploaded; one that another
 * image is uploading right now is waited for, then mounted.
 */
export class BlobLocations {
  private readonly known = new Map<string, Set<string>>();
  private readonly uploading = new Map<string, Promise<void>>();

  constructor(readonly mountable: (registry: string) => boolean = () => true) {}

  record(registry: string, repository: string, digest: string): void {
    const key = `${registry}\u0000${digest}`;
    let repositories = this.known.get(key);
    if (repositories === undefined) this.known.set(key, (repositories = new Set()));
    repositories.add(repository);
  }

  mountCandidate(registry: string, repository: string, digest: string): string | undefined {
    if (!this.mountable(registry)) return undefined;
    for (const candidate of this.known.get(`${registry}\u0000${digest}`) ?? []) {
      if (candidate !== repository) return candidate;
    }
    return undefined;
  }

  /**
   * Takes the registry's slot for one blob: while another repository holds it, wait, since its copy
   * will let us mount instead of upload. Claimed before any request, so two images that need the
   * same blob at the same moment never both upload it. Registries that cannot mount need no slot.
   */
  async claim(registry: string, digest: string): Promise<() => void> {
    if (!this.mountable(registry)) return () => undefined;
    const key = `${registry}\u0000${digest}`;
    for (let held = this.uploading.get(key); held !== undefined; held = this.uploading.get(key)) await held;
    let release!: () => void;
    this.uploading.set(key, new Promise<void>((resolve) => (release = resolve)));
    return () => {
      this.uploading.delete(key);
      release();
    };
  }
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
