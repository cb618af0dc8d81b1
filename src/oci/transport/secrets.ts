/** Secrets the transport handles: announced once (so the action can mask them) and scrubbed from error text. */

/** Shorter strings would scrub ordinary words out of messages. */
const MIN_SECRET_LENGTH = 6;

export class Secrets {
  private readonly known = new Set<string>();

  constructor(private readonly onSecret: ((value: string) => void) | undefined) {}

  /** Announces `value` the first time it is seen, before anyone uses it. */
  add(value: string): string {
    if (value.length >= MIN_SECRET_LENGTH && !this.known.has(value)) {
      this.known.add(value);
      this.onSecret?.(value);
    }
    return value;
  }

  /** Remembers a value to scrub without announcing it (e.g. a password the caller already masks). */
  remember(value: string | undefined): void {
    if (value !== undefined && value.length >= MIN_SECRET_LENGTH) this.known.add(value);
  }

  /** `text` with every known secret, and the given Authorization values and their credentials, as `***`. */
  scrub(text: string, authorizations: readonly (string | undefined)[] = []): string {
    const values = new Set(this.known);
    for (const header of authorizations) {
      if (header === undefined) continue;
      values.add(header);
      const credential = header.replace(/^\s*\w+\s+/, '');
      if (credential.length >= MIN_SECRET_LENGTH) values.add(credential);
    }
    // Longest first, so a whole header goes before the token inside it.
    let result = text;
    for (const value of [...values].sort((a, b) => b.length - a.length)) result = result.split(value).join('***');
    return result;
  }
}
