import { closeSync, mkdirSync, openSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import type { Environment } from '../core/config.ts';
import { UsageError } from '../core/errors.ts';
import { isAnswer } from '../core/shapes.ts';
import type { Answer } from '../core/types.ts';
import { CacheKeys } from './cache-keys.ts';
import { loadSqlite } from './sqlite.ts';

/** What a cache entry keeps of a successful result, and when it was answered. */
export type CachedAnswer = Answer & { readonly created: number };

/** The database in the cache directory. */
const CACHE_FILE = 'answers.sqlite';

/**
 * How long a write waits for another run's transaction before giving up on that batch of
 * entries (the run goes on without them): every transaction of ours is one batch of inserts.
 */
const BUSY_TIMEOUT_MS = 2000;

/**
 * Answers are written together, at most this long after the first of them: a transaction is a
 * write of the pages it touches, and an answer a transaction made a cold cache cost a third more.
 */
const FLUSH_EVERY_MS = 250;

/** `$XDG_CACHE_HOME/promptbatch`, else `~/.cache/promptbatch`. */
export function defaultCacheDir(env: Environment): string {
	return env.XDG_CACHE_HOME
		? join(env.XDG_CACHE_HOME, 'promptbatch')
		: join(env.HOME || homedir(), '.cache', 'promptbatch');
}

/**
 * Successful answers on disk, in one SQLite database (Node's built-in node:sqlite) in write-ahead
 * mode: an append-only log with an index, as cacache's, where a file per entry cost four
 * metadata operations an answer and made a cold cache more than twice an uncached run. Answers
 * put within FLUSH_EVERY_MS are written in one transaction, so concurrent runs and a killed
 * writer leave whole entries or none. Reads are synchronous, which keeps "is this
 * answered already?" a plain check before dispatch; an answer not yet written is read from
 * memory. The cache is best effort: answers that can't be written (a full disk, another run
 * holding the database too long) are said once, and are only later misses.
 */
export class ResponseCache {
	readonly #db: DatabaseSync;
	readonly #ttlMs: number | undefined;
	/** Told once, the first time answers can't be written. */
	#onWriteFailure: ((message: string) => void) | undefined;
	readonly #select: StatementSync;
	readonly #remove: StatementSync;
	readonly #insert: StatementSync;
	readonly #keys: CacheKeys;
	/** Answers put and not yet written, by key. */
	#writing = new Map<string, CachedAnswer>();
	#flushing: NodeJS.Timeout | undefined;
	#closed = false;
	/** When the read transaction that lookups share began; undefined when none is open. */
	#readingSince: number | undefined;

	private constructor(
		db: DatabaseSync,
		ttlMs: number | undefined,
		onWriteFailure: ((message: string) => void) | undefined,
	) {
		this.#db = db;
		this.#ttlMs = ttlMs;
		this.#onWriteFailure = onWriteFailure;
		this.#select = db.prepare(
			'SELECT created, answer FROM answers WHERE h = ? AND key = ? ORDER BY id DESC LIMIT 1',
		);
		this.#remove = db.prepare('DELETE FROM answers WHERE h = ? AND key = ?');
		this.#insert = db.prepare('INSERT INTO answers (h, key, created, answer) VALUES (?, ?, ?, ?)');
		this.#keys = new CacheKeys(db);
	}

	/**
	 * Opens (making them if need be) the directory, owner-only, and its database.
	 * `onWriteFailure` hears, once, that answers could not be stored (the run goes on).
	 */
	static async open(
		dir: string,
		ttlMs: number | undefined,
		onWriteFailure?: (message: string) => void,
	): Promise<ResponseCache> {
		const path = join(dir, CACHE_FILE);
		try {
			mkdirSync(dir, { recursive: true, mode: 0o700 });
			// SQLite gives its -wal and -shm files the database's mode: made owner-only first.
			closeSync(openSync(path, 'a', 0o600));
		} catch (error) {
			const file = (error as NodeJS.ErrnoException).code === 'EEXIST';
			throw new UsageError(
				file
					? `--cache ${dir}: that is a file, not a directory`
					: `cannot use cache directory ${dir}: ${(error as Error).message}`,
				file
					? 'write --cache=DIR, or put --cache after the input files: "--cache FILE" takes FILE as the cache directory'
					: 'give --cache a writable directory',
			);
		}
		const { DatabaseSync } = await loadSqlite();
		let db: DatabaseSync | undefined;
		try {
			db = new DatabaseSync(path);
			db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
			db.exec('PRAGMA journal_mode = WAL');
			// A power cut may lose the last answers written (a miss later), never corrupt the rest.
			db.exec('PRAGMA synchronous = NORMAL');
			// Rows are appended (rowid order) and found by a small index of each key's first 52 bits:
			// a table keyed by the hashes themselves put every answer on a page of its own, four
			// times the writing. `key` settles the rare prefix shared by two keys.
			db.exec(
				'CREATE TABLE IF NOT EXISTS answers (id INTEGER PRIMARY KEY, h INTEGER NOT NULL, key TEXT NOT NULL, created INTEGER NOT NULL, answer TEXT NOT NULL)',
			);
			db.exec('CREATE INDEX IF NOT EXISTS answers_h ON answers (h)');
			return new ResponseCache(db, ttlMs, (reason) =>
				onWriteFailure?.(
					`cannot store answers in the cache ${dir}: ${reason}; the run goes on, and what it could not store will be asked for again next time`,
				),
			);
		} catch (error) {
			db?.close();
			throw new UsageError(
				`--cache ${dir}: cannot use ${path}: ${(error as Error).message}`,
				`delete ${path} to start the cache afresh, or give --cache another directory`,
			);
		}
	}

	/** The answer stored for `key`: none when absent, expired, or not an answer's shape. */
	get(key: string, now = Date.now()): CachedAnswer | undefined {
		let answer: unknown = this.#writing.get(key);
		if (answer === undefined) {
			try {
				this.#read(now);
				const h = prefix(key);
				if (!this.#keys.mayHave(h)) return undefined;
				const row = this.#select.get(h, key) as { created: unknown; answer: string } | undefined;
				if (row === undefined) return undefined;
				answer = { ...JSON.parse(row.answer), created: row.created };
			} catch {
				return undefined;
			}
		}
		if (!isAnswer(answer) || typeof (answer as CachedAnswer).created !== 'number') return undefined;
		const { created } = answer as CachedAnswer;
		if (this.#ttlMs !== undefined && now - created > this.#ttlMs) return undefined;
		const { response, model, usage, finish_reason } = answer;
		return { response, model, usage, finish_reason, created };
	}

	/** Stores an answer, in one transaction with the others put within FLUSH_EVERY_MS. */
	put(key: string, answer: CachedAnswer): void {
		if (this.#closed) return;
		this.#writing.set(key, answer);
		this.#flushing ??= setTimeout(() => this.#flush(), FLUSH_EVERY_MS).unref();
	}

	/** Writes what was put, and closes the database: the run is over. */
	close(): void {
		if (this.#closed) return;
		this.#flush();
		this.#closed = true;
		try {
			this.#endRead();
		} finally {
			this.#db.close();
		}
	}

	/**
	 * Deletes the entries older than the TTL (by the time they were answered), so that a cache
	 * with a TTL does not grow without bound; without one nothing is deleted. Returns how many.
	 */
	prune(now = Date.now()): number {
		if (this.#ttlMs === undefined) return 0;
		try {
			this.#endRead();
			const { changes } = this.#db
				.prepare('DELETE FROM answers WHERE created < ?')
				.run(now - this.#ttlMs);
			return Number(changes);
		} catch {
			// Another run holding the database: its entries are pruned another time.
			return 0;
		}
	}

	/**
	 * Lookups share one read transaction, renewed at least every FLUSH_EVERY_MS: a statement of
	 * its own takes and drops WAL locks (system calls) each time, five times the cost of the
	 * lookup. Another run's answers are therefore seen up to that much later.
	 */
	#read(now: number): void {
		if (this.#readingSince !== undefined && now - this.#readingSince <= FLUSH_EVERY_MS) return;
		this.#endRead();
		this.#db.exec('BEGIN');
		this.#readingSince = now;
		this.#keys.refresh();
	}

	#endRead(): void {
		if (this.#readingSince === undefined) return;
		this.#readingSince = undefined;
		this.#db.exec('COMMIT');
	}

	#flush(): void {
		clearTimeout(this.#flushing);
		this.#flushing = undefined;
		const batch = this.#writing;
		if (batch.size === 0) return;
		this.#writing = new Map();
		try {
			this.#endRead();
			this.#db.exec('BEGIN IMMEDIATE');
			// Read under the write lock, the keys are exact: no older entry to delete for most.
			this.#keys.refresh();
			const written: number[] = [];
			let lastId = 0;
			for (const [key, { created, response, model, usage, finish_reason }] of batch) {
				const h = prefix(key);
				if (this.#keys.mayHave(h)) this.#remove.run(h, key);
				const json = JSON.stringify({ response, model, usage, finish_reason });
				lastId = Number(this.#insert.run(h, key, created, json).lastInsertRowid);
				written.push(h);
			}
			this.#db.exec('COMMIT');
			this.#keys.wrote(written, lastId);
		} catch (error) {
			this.#onWriteFailure?.((error as Error).message);
			this.#onWriteFailure = undefined;
			try {
				this.#db.exec('ROLLBACK');
			} catch {
				// No transaction was begun (another run held the database): nothing to undo.
			}
		}
	}
}

/** A key's first 52 bits (13 hex digits), as an integer a double holds exactly. */
function prefix(key: string): number {
	return Number.parseInt(key.slice(0, 13), 16);
}
