import { mkdirSync, readFileSync } from 'node:fs';
import { mkdir, readdir, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Environment } from '../core/config.ts';
import { UsageError } from '../core/errors.ts';
import { isAnswer } from '../core/shapes.ts';
import type { Answer } from '../core/types.ts';

/** What a cache entry keeps of a successful result, and when it was answered. */
export type CachedAnswer = Answer & { readonly created: number };

/** A temporary file older than this was left by a killed writer: a live one renames in ms. */
const STALE_TEMP_MS = 3_600_000;

/** `$XDG_CACHE_HOME/promptbatch`, else `~/.cache/promptbatch`. */
export function defaultCacheDir(env: Environment): string {
	return env.XDG_CACHE_HOME
		? join(env.XDG_CACHE_HOME, 'promptbatch')
		: join(env.HOME || homedir(), '.cache', 'promptbatch');
}

/**
 * Successful answers on disk, one file per request hash. Entries are written to a temporary
 * file and renamed into place, so concurrent runs and killed writers never leave a torn entry:
 * a reader sees a whole entry or none. Reads are synchronous, which keeps "is this answered
 * already?" a plain check before dispatch; writes go on in the background (a file written and
 * renamed on the main thread was most of a cold cache's cost), and until one is done its answer
 * is read from memory.
 */
export class ResponseCache {
	readonly #dir: string;
	readonly #ttlMs: number | undefined;
	/** Subdirectories known to exist, so each is made once per run, not once per entry. */
	readonly #shards = new Map<string, Promise<unknown>>();
	/** Answers being written, by key: read from here until their file is in place. */
	readonly #writing = new Map<string, CachedAnswer>();
	readonly #pending = new Set<Promise<boolean>>();

	constructor(dir: string, ttlMs: number | undefined) {
		try {
			mkdirSync(dir, { recursive: true, mode: 0o700 });
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
		this.#dir = dir;
		this.#ttlMs = ttlMs;
	}

	/** The answer stored for `key`: none when absent, expired, or not an answer's shape. */
	get(key: string, now = Date.now()): CachedAnswer | undefined {
		let answer: unknown = this.#writing.get(key);
		if (answer === undefined)
			try {
				answer = JSON.parse(readFileSync(this.#path(key), 'utf8'));
			} catch {
				return undefined;
			}
		if (!isAnswer(answer) || typeof (answer as CachedAnswer).created !== 'number') return undefined;
		const { created } = answer as CachedAnswer;
		if (this.#ttlMs !== undefined && now - created > this.#ttlMs) return undefined;
		const { response, model, usage, finish_reason } = answer;
		return { response, model, usage, finish_reason, created };
	}

	/** Stores an answer; resolves false if it could not (the run goes on without it). */
	put(key: string, answer: CachedAnswer): Promise<boolean> {
		this.#writing.set(key, answer);
		const written = this.#write(key, answer).finally(() => {
			if (this.#writing.get(key) === answer) this.#writing.delete(key);
			this.#pending.delete(written);
		});
		this.#pending.add(written);
		return written;
	}

	/** Resolves once every entry put so far is written (or has failed to be). */
	async settled(): Promise<void> {
		while (this.#pending.size > 0) await Promise.all(this.#pending);
	}

	async #write(key: string, answer: CachedAnswer): Promise<boolean> {
		const path = this.#path(key);
		const temp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
		try {
			const shard = key.slice(0, 2);
			let made = this.#shards.get(shard);
			if (!made) {
				made = mkdir(join(this.#dir, shard), { recursive: true, mode: 0o700 });
				this.#shards.set(shard, made);
			}
			await made;
			await writeFile(temp, JSON.stringify(answer), { mode: 0o600 });
			await rename(temp, path);
			return true;
		} catch {
			await rm(temp, { force: true });
			return false;
		}
	}

	/**
	 * Deletes the entries older than the TTL (by the time they were written), and temporary
	 * files that killed writers left, so that a cache with a TTL does not grow without bound.
	 * Without a TTL every entry is kept. Resolves with the number of files deleted; a file
	 * another run deletes first, or that can't be deleted, is passed over.
	 */
	async prune(now = Date.now()): Promise<number> {
		const ttlMs = this.#ttlMs;
		if (ttlMs === undefined) return 0;
		let deleted = 0;
		for (const shard of await readdir(this.#dir).catch(() => [])) {
			if (!/^[0-9a-f]{2}$/.test(shard)) continue;
			const dir = join(this.#dir, shard);
			for (const name of await readdir(dir).catch(() => [])) {
				const maxAge = name.endsWith('.tmp') ? STALE_TEMP_MS : ttlMs;
				if (!name.endsWith('.tmp') && !name.endsWith('.json')) continue;
				const path = join(dir, name);
				try {
					if (now - (await stat(path)).mtimeMs <= maxAge) continue;
					await unlink(path);
					deleted++;
				} catch {
					// Gone already, or not ours to delete: either way nothing to do.
				}
			}
		}
		return deleted;
	}

	#path(key: string): string {
		return join(this.#dir, key.slice(0, 2), `${key}.json`);
	}
}
