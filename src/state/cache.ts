import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { readdir, stat, unlink } from 'node:fs/promises';
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
 * a reader sees a whole entry or none. Reads and writes are synchronous: a few microseconds
 * each, and it keeps "is this answered already?" a plain check before dispatch.
 */
export class ResponseCache {
	readonly #dir: string;
	readonly #ttlMs: number | undefined;
	/** Subdirectories known to exist, so each is made once per run, not once per entry. */
	readonly #shards = new Set<string>();

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
		let answer: unknown;
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

	/** Stores an answer; false if it could not (the run goes on without it). */
	put(key: string, answer: CachedAnswer): boolean {
		const path = this.#path(key);
		const temp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
		try {
			const shard = key.slice(0, 2);
			if (!this.#shards.has(shard)) {
				mkdirSync(join(this.#dir, shard), { recursive: true, mode: 0o700 });
				this.#shards.add(shard);
			}
			writeFileSync(temp, JSON.stringify(answer), { mode: 0o600 });
			renameSync(temp, path);
			return true;
		} catch {
			rmSync(temp, { force: true });
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
