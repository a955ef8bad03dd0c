import { ResumeError } from '../errors.ts';
import type { PromptRecord } from '../input/records.ts';
import type { ApiRequest } from '../requests/build.ts';
import type { ResponseCache } from '../requests/cache.ts';
import { cacheKey, requestHash } from '../requests/fingerprint.ts';
import type { JournalEntry, JournalWriter } from './journal.ts';
import { cachedResult, type ResultRecord } from './record.ts';

/** Where a result came from without a request. */
export type Reused = { readonly result: ResultRecord; readonly source: 'journal' | 'cache' };

export interface LedgerOptions {
	/** What an earlier run recorded (`--resume`), by index. */
	readonly previous?: ReadonlyMap<number, JournalEntry> | undefined;
	readonly journal?: JournalWriter | undefined;
	readonly cache?: ResponseCache | undefined;
	/** Part of the cache key: the same request to another server is another answer. */
	readonly baseURL: string;
}

/** Throws ResumeError when the journal recorded another request at this prompt's position. */
export function checkResume(
	previous: ReadonlyMap<number, JournalEntry> | undefined,
	record: PromptRecord,
	request: ApiRequest,
): void {
	const entry = previous?.get(record.index);
	if (entry && entry.hash !== requestHash(request)) {
		throw new ResumeError(
			`cannot resume: prompt ${record.index} (${record.file}:${record.line}) is not the request the journal recorded for it; the input or an option that shapes requests (model, template, system, params...) changed`,
			'run with the same input and options as before, or without --resume to start over',
		);
	}
}

/** Throws ResumeError when the journal has results past the end of the input (it shrank). */
export function checkResumeLength(
	previous: ReadonlyMap<number, JournalEntry> | undefined,
	total: number | undefined,
): void {
	let recorded = 0;
	for (const index of previous?.keys() ?? []) recorded = Math.max(recorded, index);
	if (total !== undefined && recorded > total) {
		throw new ResumeError(
			`cannot resume: the journal has a result for prompt ${recorded}, but the input now has ${total}`,
			'run with the same input as before, or without --resume to start over',
		);
	}
}

/**
 * What is already answered, and the record of what gets answered: a success the journal holds
 * for the same request (resume), then a cached answer. Every new result goes into the journal,
 * and successes into the cache. Synchronous, so the runner asks it before dispatch.
 */
export class Ledger {
	readonly #options: LedgerOptions;

	constructor(options: LedgerOptions) {
		this.#options = options;
	}

	get caching(): boolean {
		return this.#options.cache !== undefined;
	}

	reuse(record: PromptRecord, request: ApiRequest): Reused | undefined {
		checkResume(this.#options.previous, record, request);
		const entry = this.#options.previous?.get(record.index);
		if (entry && entry.record.error === null) return { result: entry.record, source: 'journal' };
		const cache = this.#options.cache;
		const answer = cache?.get(this.key(request));
		if (!answer) return undefined;
		const result = cachedResult(record, request.input, answer);
		this.#options.journal?.append(requestHash(request), result);
		return { result, source: 'cache' };
	}

	/** Records a new result. Throws FatalRunError when the journal can't be written. */
	record(request: ApiRequest, result: ResultRecord): void {
		if (result.error?.type === 'aborted') return;
		this.#options.journal?.append(requestHash(request), result);
		if (this.#options.cache && result.error === null && !result.cached) {
			const { response, model, usage, finish_reason } = result;
			this.#options.cache.put(this.key(request), {
				response,
				model,
				usage,
				finish_reason,
				created: Date.now(),
			});
		}
	}

	/** Identifies identical requests, so that a cached run sends each once. */
	key(request: ApiRequest): string {
		return cacheKey(this.#options.baseURL, request);
	}
}
