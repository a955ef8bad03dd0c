import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Environment } from '../config.ts';
import { UsageError } from '../errors.ts';
import type { ResultRecord } from '../output/record.ts';

/** What a cache entry keeps of a successful result. */
export type CachedAnswer = Pick<ResultRecord, 'response' | 'model' | 'usage' | 'finish_reason'> & {
	readonly created: number;
};

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
			mkdirSync(dir, { recursive: true });
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

	get(key: string, now = Date.now()): CachedAnswer | undefined {
		try {
			const answer = JSON.parse(readFileSync(this.#path(key), 'utf8')) as CachedAnswer;
			if (this.#ttlMs !== undefined && now - answer.created > this.#ttlMs) return undefined;
			return answer;
		} catch {
			return undefined;
		}
	}

	/** Stores an answer; false if it could not (the run goes on without it). */
	put(key: string, answer: CachedAnswer): boolean {
		const path = this.#path(key);
		const temp = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
		try {
			const shard = key.slice(0, 2);
			if (!this.#shards.has(shard)) {
				mkdirSync(join(this.#dir, shard), { recursive: true });
				this.#shards.add(shard);
			}
			writeFileSync(temp, JSON.stringify(answer));
			renameSync(temp, path);
			return true;
		} catch {
			return false;
		}
	}

	#path(key: string): string {
		return join(this.#dir, key.slice(0, 2), `${key}.json`);
	}
}
