/**
 * The whole store in one object, for the tests, the tools and the benchmarks only: the admin adapter
 * (which extends the request path's) with the sweeper's adapter's methods delegated to it. No function
 * bundle imports it: each function's root builds the narrowest adapter it needs (request-store.ts,
 * admin-store.ts, sweep-store.ts).
 */
import type { SweepRecord } from '../domain/events.ts';
import type { Store } from '../domain/model.ts';
import { AdminDynamoStore } from './admin-store.ts';
import { SweepDynamoStore, type SweepDynamoStoreOptions } from './sweep-store.ts';

export type DynamoStoreOptions = SweepDynamoStoreOptions;

/** Every port of the store on one DynamoDB client (tests, tools and benchmarks). */
export class DynamoStore extends AdminDynamoStore implements Store {
  private readonly sweeps: SweepDynamoStore;

  constructor(options: DynamoStoreOptions) {
    super(options);
    this.sweeps = new SweepDynamoStore(options);
  }

  deleteTokensOfGrant(grantId: string): Promise<number> {
    return this.sweeps.deleteTokensOfGrant(grantId);
  }

  deleteTokensOfClient(clientId: string, issuedUpTo?: number): Promise<number> {
    return this.sweeps.deleteTokensOfClient(clientId, issuedUpTo);
  }

  deleteTokensOfSubject(subjectKey: string, issuedUpTo: number): Promise<number> {
    return this.sweeps.deleteTokensOfSubject(subjectKey, issuedUpTo);
  }

  recordSweep(record: SweepRecord): Promise<void> {
    return this.sweeps.recordSweep(record);
  }
}
