import type { DatabaseSync, StatementSync } from 'node:sqlite';

/**
 * How many rows of the database one lookup pays for reading: reading a row's key prefix costs a
 * small fraction of a lookup's query, so once a run has looked up a sixteenth as many keys as
 * the database holds, reading them all costs less than the lookups so far.
 */
const ROWS_PER_LOOKUP = 16;

/** Above this many rows no prefixes are kept: about 20 bytes a row, more than a run holds. */
const MAX_ROWS = 200_000;

/** The bits of a key's 52-bit prefix (the `h` column) that are kept: 28, a small integer. */
const SHIFT = 2 ** 24;

/**
 * Which keys the cache database may hold: the first 28 bits of every row's key, so that a key
 * not among them is a miss without a query (a cold cache's lookups, all misses, were a tenth of
 * what it cost). Read once a run has looked up enough keys to pay for it, then the rows added
 * since (by this run or another) each time the caller renews its read transaction. A prefix
 * kept for a row since deleted only sends a lookup to the database. Row ids only grow, but for
 * SQLite reusing the largest after it is deleted: a row another run adds in that id after
 * pruning every newer one would be missed, and its prompt asked again.
 */
export class CacheKeys {
	readonly #since: StatementSync;
	/** Rows at most, when the database was opened. */
	readonly #rows: number;
	#prefixes: Set<number> | undefined;
	/** The largest row id read. */
	#upTo = 0;
	#lookups = 0;
	/** Set when reading failed: the prefixes are not kept, every lookup asks the database. */
	#broken = false;

	constructor(db: DatabaseSync) {
		this.#since = db.prepare(
			`SELECT id, h / ${SHIFT} AS prefix FROM answers WHERE id > ? ORDER BY id`,
		);
		const { top } = db.prepare('SELECT max(id) AS top FROM answers').get() as { top: unknown };
		this.#rows = Number(top ?? 0);
	}

	/** False when no row has a key with `h`'s prefix; true when one may (ask the database). */
	mayHave(h: number): boolean {
		if (this.#prefixes === undefined) {
			if (this.#broken || this.#rows > MAX_ROWS) return true;
			if (++this.#lookups * ROWS_PER_LOOKUP < this.#rows) return true;
			this.#prefixes = new Set();
			this.refresh();
			if (this.#prefixes === undefined) return true;
		}
		return this.#prefixes.has(Math.floor(h / SHIFT));
	}

	/**
	 * Rows this run wrote, `h` each, the last with id `lastId`, once committed: under the write
	 * lock, after `refresh`, so that no other run's row comes between (reading them back cost a
	 * fifth of what the cache's writing did).
	 */
	wrote(h: readonly number[], lastId: number): void {
		const prefixes = this.#prefixes;
		if (prefixes === undefined) return;
		for (const one of h) prefixes.add(Math.floor(one / SHIFT));
		this.#upTo = lastId;
	}

	/** Reads the rows added since the last read; within the caller's read transaction. */
	refresh(): void {
		const prefixes = this.#prefixes;
		if (prefixes === undefined) return;
		try {
			for (const row of this.#since.iterate(this.#upTo)) {
				const { id, prefix } = row as { id: number; prefix: number };
				prefixes.add(prefix);
				this.#upTo = id;
			}
		} catch {
			this.#prefixes = undefined;
			this.#broken = true;
		}
	}
}
