/**
 * The local outbox (contract: "No event is lost"): an event the webhook did not take is kept as one file
 * in the data directory and retried with backoff until delivered, across restarts of the local server
 * when its `--data-dir` is kept. Files are named by when they were kept, so they are delivered in the
 * order they were produced; while any is waiting, new events queue behind them rather than overtake.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RevocationEvent } from '../domain/events.ts';
import type { EventSink } from './sinks.ts';

export interface OutboxOptions {
  /** First retry's delay; doubled per failed attempt up to `maxBackoffMs`. */
  readonly minBackoffMs?: number;
  /** The longest wait between attempts: how long after the target is back the first event arrives. */
  readonly maxBackoffMs?: number;
  /** Hears of each failed attempt (to log it with the target and the cause). */
  readonly onFailure: (event: RevocationEvent, error: unknown) => void;
}

const SUFFIX = '.json';

/** Kept events, delivered in order by one loop that runs while any is waiting. */
export class Outbox {
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;
  private counter = 0;
  private draining = false;

  constructor(
    private readonly dir: string,
    private readonly deliver: EventSink,
    private readonly options: OutboxOptions,
  ) {
    mkdirSync(dir, { recursive: true });
    this.minBackoffMs = options.minBackoffMs ?? 250;
    this.maxBackoffMs = options.maxBackoffMs ?? 5000;
    // What a previous process kept: delivered now.
    if (this.files().length > 0) this.drain();
  }

  /** Events waiting (files in the outbox). */
  get size(): number {
    return this.files().length;
  }

  /** Keeps the event (written and renamed into place before this returns) and starts delivering. */
  keep(event: RevocationEvent): void {
    const name = `${Date.now().toString().padStart(15, '0')}-${(this.counter++).toString().padStart(6, '0')}-${event.id}`;
    const file = join(this.dir, `${name}${SUFFIX}`);
    writeFileSync(`${file}.tmp`, JSON.stringify(event));
    renameSync(`${file}.tmp`, file);
    this.drain();
  }

  private files(): string[] {
    return readdirSync(this.dir)
      .filter((name) => name.endsWith(SUFFIX))
      .sort();
  }

  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    void this.loop().catch(() => {
      this.draining = false;
    });
  }

  private async loop(): Promise<void> {
    let failures = 0;
    for (;;) {
      const [next] = this.files();
      // Cleared in the same turn as the check, so an event kept right after starts a new loop.
      if (next === undefined) {
        this.draining = false;
        return;
      }
      const file = join(this.dir, next);
      let event: RevocationEvent;
      try {
        event = JSON.parse(readFileSync(file, 'utf8')) as RevocationEvent;
      } catch {
        // A file cut short by a crash mid-write never got its final name; anything else unreadable is
        // set aside, not retried forever.
        renameSync(file, `${file}.unreadable`);
        continue;
      }
      try {
        await this.deliver(event);
        rmSync(file, { force: true });
        failures = 0;
      } catch (error) {
        failures++;
        this.options.onFailure(event, error);
        const wait = Math.min(this.minBackoffMs * 2 ** (failures - 1), this.maxBackoffMs);
        // A new event does not cut the backoff short: the target is still failing.
        await new Promise<void>((resolve) => setTimeout(resolve, wait).unref());
      }
    }
  }
}
