/**
 * The day's estimated Bedrock spend against an optional cap (INGEST_BEDROCK_DAILY_BUDGET_USD).
 * The day is the UTC date: the spend starts again at 0 when it changes. With `persistPath` the
 * spend survives a restart on the same day: `DailyBudget.open()` reads `{day, usd}` back (a missing
 * or unreadable file starts at 0; an unreadable one is reported through `onWarning`), `charge()`
 * saves at most once a second (time read on each call, no timers) and `close()` always saves.
 * A save writes a temporary file and renames it over the old one, so a crash never leaves a torn file.
 *
 * With a `ledger` (the state table) the cap is the fleet's: this instance's charges are added to
 * the day's shared total at most every `syncIntervalMs` (and on close), and `spentToday` is the last
 * total the ledger returned plus what is not yet added. A failed sync keeps the amount for the next
 * one (and warns); meanwhile the instance goes on with what it knows.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { SpendLedger } from './spend-ledger.ts';

export interface DailyBudgetOptions {
  /** USD a UTC day; undefined ⇒ no cap. */
  limitUsd?: number;
  now?: () => Date;
  /** JSON file the day's spend is kept in. */
  persistPath?: string;
  /** An unreadable spend file, or a failed save (neither stops anything). */
  onWarning?: (message: string) => void;
  /** The fleet's shared total (instead of persistPath). */
  ledger?: SpendLedger;
  /** Shortest interval between ledger syncs from charge() (default 5 s). */
  syncIntervalMs?: number;
}

export interface PersistedSpend {
  day: string;
  usd: number;
}

/** Shortest interval between saves from charge(). */
export const SAVE_INTERVAL_MS = 1_000;
export const SYNC_INTERVAL_MS = 5_000;

export class DailyBudget {
  readonly limitUsd: number | undefined;
  readonly persistPath: string | undefined;
  readonly #now: () => Date;
  readonly #onWarning: (message: string) => void;
  #day: string;
  #spent = 0;
  /** When charge() last started a save (ms), or -Infinity. */
  #savedAt = Number.NEGATIVE_INFINITY;
  /** Saves run one after another, each writing the state as of when it runs. */
  #saving: Promise<void> = Promise.resolve();
  readonly #ledger: SpendLedger | undefined;
  readonly #syncIntervalMs: number;
  /** The day's fleet total as the ledger last returned it (this instance's synced charges included). */
  #fleet = 0;
  /** Charged here, not yet added to the ledger (#sending: being added right now). */
  #unsent = 0;
  #sending = 0;
  #syncedAt = Number.NEGATIVE_INFINITY;
  #syncing: Promise<void> = Promise.resolve();

  constructor(options: DailyBudgetOptions = {}) {
    if (options.limitUsd !== undefined && !(options.limitUsd >= 0)) {
      throw new RangeError(`the daily budget must be a number of USD of at least 0, not ${options.limitUsd}`);
    }
    this.limitUsd = options.limitUsd;
    this.persistPath = options.persistPath;
    this.#now = options.now ?? (() => new Date());
    this.#onWarning = options.onWarning ?? (() => {});
    this.#day = utcDay(this.#now());
    this.#ledger = options.ledger;
    this.#syncIntervalMs = options.syncIntervalMs ?? SYNC_INTERVAL_MS;
  }

  /** A budget with today's spend read back from `persistPath` (when given). Never throws for the file. */
  static async open(options: DailyBudgetOptions): Promise<DailyBudget> {
    const budget = new DailyBudget(options);
    if (options.ledger !== undefined) await budget.#sync();
    else if (options.persistPath !== undefined) await budget.#load(options.persistPath);
    return budget;
  }

  /** The current UTC day, YYYY-MM-DD. */
  get day(): string {
    this.#roll();
    return this.#day;
  }

  /** Estimated USD spent today: by the fleet with a ledger, else by this instance. */
  get spentToday(): number {
    this.#roll();
    return this.#ledger ? this.#fleet + this.#sending + this.#unsent : this.#spent;
  }

  /** USD left today (never below 0), or undefined without a cap. */
  get remainingUsd(): number | undefined {
    if (this.limitUsd === undefined) return undefined;
    return Math.max(0, this.limitUsd - this.spentToday);
  }

  /** A cap is set and today's spend has reached it. */
  get exhausted(): boolean {
    return this.limitUsd !== undefined && this.spentToday >= this.limitUsd;
  }

  /** Adds an estimated cost to today's spend (and saves it, at most once a second). */
  charge(usd: number): void {
    if (!Number.isFinite(usd) || usd < 0) throw new RangeError(`a charge must be a finite number of USD of at least 0, not ${usd}`);
    this.#roll();
    this.#spent += usd;
    if (this.#ledger) {
      this.#unsent += usd;
      const now = this.#now().getTime();
      if (now - this.#syncedAt >= this.#syncIntervalMs) void this.#sync();
      return;
    }
    if (this.persistPath === undefined) return;
    const now = this.#now().getTime();
    if (now - this.#savedAt < SAVE_INTERVAL_MS) return;
    this.#savedAt = now;
    void this.#save();
  }

  /** Saves the spend (when persisted) and waits for every save to finish. Never rejects. */
  async close(): Promise<void> {
    if (this.#ledger) await this.#sync();
    else if (this.persistPath !== undefined) await this.#save();
  }

  /** Adds what is unsent to the ledger and takes its total; one sync at a time. Never rejects. */
  #sync(): Promise<void> {
    this.#syncedAt = this.#now().getTime();
    this.#syncing = this.#syncing.then(async () => {
      const ledger = this.#ledger!;
      this.#roll();
      const day = this.#day;
      const amount = this.#unsent;
      this.#unsent = 0;
      this.#sending = amount;
      try {
        const total = await ledger.add(day, amount);
        if (day === this.#day) this.#fleet = Math.max(this.#fleet, total);
      } catch (err) {
        if (day === this.#day) this.#unsent += amount;
        this.#warn(`could not add the Bedrock spend to ${ledger.where}: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        this.#sending = 0;
      }
    });
    return this.#syncing;
  }

  /** A throwing listener must not turn a background save into an unhandled rejection. */
  #warn(message: string): void {
    try {
      this.#onWarning(message);
    } catch {
      // ignored
    }
  }

  #roll(): void {
    const today = utcDay(this.#now());
    if (today === this.#day) return;
    this.#day = today;
    this.#spent = 0;
    this.#fleet = 0;
    this.#unsent = 0;
    this.#sending = 0;
  }

  #save(): Promise<void> {
    this.#saving = this.#saving.then(() => this.#write());
    return this.#saving;
  }

  async #write(): Promise<void> {
    const path = this.persistPath!;
    this.#roll();
    const body: PersistedSpend = { day: this.#day, usd: this.#spent };
    const temp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(temp, `${JSON.stringify(body)}\n`);
      await rename(temp, path);
    } catch (err) {
      await rm(temp, { force: true }).catch(() => {});
      this.#warn(`could not save the Bedrock spend to ${path}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  async #load(path: string): Promise<void> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      this.#warn(`could not read the Bedrock spend from ${path}, starting the day at $0: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    const spend = parseSpend(text);
    if (spend === undefined) {
      this.#warn(`the Bedrock spend file ${path} is not valid, starting the day at $0`);
      return;
    }
    this.#roll();
    if (spend.day === this.#day) this.#spent = spend.usd;
  }
}

function parseSpend(text: string): PersistedSpend | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { day, usd } = value as { day?: unknown; usd?: unknown };
  if (typeof day !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  if (typeof usd !== 'number' || !Number.isFinite(usd) || usd < 0) return undefined;
  return { day, usd };
}

function utcDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}
