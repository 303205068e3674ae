import type { Issuer } from './issuers.ts';
import type { Clock } from './model.ts';

/** Where a function finds a registered issuer's settings before it can verify one of its tokens. */
export interface IssuerDirectory {
  /** The issuer registered under this id, if any. */
  find(issuerId: string): Promise<Issuer | undefined>;
  /** The activity read found the issuer changed (deleted, or registered anew): use what it found. */
  update(issuerId: string, issuer: Issuer | undefined): void;
}

export interface IssuerCacheOptions {
  /** A consistent read of one issuer. */
  readonly read: (issuerId: string) => Promise<Issuer | undefined>;
  readonly clock: Clock;
  /** How long a warm function keeps an issuer's settings. */
  readonly ttlMs: number;
}

/**
 * The settings of registered issuers, kept per warm function so that checking a token of one costs one
 * read (the activity rule's), not two. A registration never changes in place (it is deleted and made
 * anew, with a new `createdAt`), and the activity rule reads the issuer's item again with the token's
 * records, so a cached entry can only be stale in ways that read catches: a deletion (the item is gone)
 * or a new registration (another `createdAt`), after which `update` replaces the entry. An issuer that is
 * not registered is not remembered: registering it takes effect on the next token.
 */
export class IssuerCache implements IssuerDirectory {
  private readonly entries = new Map<string, { issuer: Issuer; until: number }>();
  private readonly pending = new Map<string, Promise<Issuer | undefined>>();

  constructor(private readonly options: IssuerCacheOptions) {}

  async find(issuerId: string): Promise<Issuer | undefined> {
    const entry = this.entries.get(issuerId);
    if (entry && entry.until > this.options.clock()) return entry.issuer;
    // Concurrent requests with a new issuer's tokens share one read.
    let read = this.pending.get(issuerId);
    if (!read) {
      read = this.options.read(issuerId).finally(() => this.pending.delete(issuerId));
      this.pending.set(issuerId, read);
    }
    const issuer = await read;
    this.update(issuerId, issuer);
    return issuer;
  }

  update(issuerId: string, issuer: Issuer | undefined): void {
    if (issuer) this.entries.set(issuerId, { issuer, until: this.options.clock() + this.options.ttlMs });
    else this.entries.delete(issuerId);
  }
}
