import { ResumeError } from '../core/errors.ts';
import type {
	Answer,
	ApiRequest,
	PromptRecord,
	ResultRecord,
	ResultSource,
} from '../core/types.ts';
import type { ResponseCache } from './cache.ts';
import { requestKey } from './fingerprint.ts';
import type { JournalWriter } from './journal.ts';
import type { JournalEntries, RecordedFailure } from './journal-reader.ts';

/** What is known of a prompt before sending it. */
export type Known =
	/** An earlier run's success for the same request (`--resume`). */
	| { readonly source: 'journal'; readonly result: ResultRecord }
	/** A cached answer to the same request. */
	| { readonly source: 'cache'; readonly answer: Answer }
	/** The same request is in flight: its answer, or undefined when it gets none. */
	| { readonly source: 'twin'; readonly answer: Promise<Answer | undefined> };

export interface LedgerOptions {
	/** What an earlier run recorded (`--resume`), by index. */
	readonly previous?: JournalEntries | undefined;
	/**
	 * Every prompt's request was checked against `previous` before the run started (named
	 * files are, by preflight), so `lookup` need not check it again. @default false
	 */
	readonly checked?: boolean;
	/**
	 * Send again the prompts whose recorded failure is permanent (a 4xx) too, not only those
	 * that failed in passing (`--resume-failed`). @default false
	 */
	readonly resendFailed?: boolean;
	readonly journal?: JournalWriter | undefined;
	readonly cache?: ResponseCache | undefined;
	/** Part of every request's key: the same request to another server is another request. */
	readonly baseURL: string;
}

/**
 * Throws ResumeError when the journal recorded another request at this prompt's position;
 * `key` is the request's `requestKey`.
 */
export function checkResume(
	previous: JournalEntries | undefined,
	record: PromptRecord,
	key: string,
): void {
	const hash = previous?.hash(record.index);
	if (hash !== undefined && hash !== key) {
		throw new ResumeError(
			`cannot resume: prompt ${record.index} (${record.file}:${record.line}) is not the request the journal recorded for it; the input, the server or an option that shapes requests (model, template, system, params...) changed`,
			'run with the same input and options as before, or without --resume to start over',
		);
	}
}

/** Throws ResumeError when the journal has results past the end of the input (it shrank). */
export function checkResumeLength(
	previous: JournalEntries | undefined,
	total: number | undefined,
): void {
	const recorded = previous?.last ?? 0;
	if (total !== undefined && recorded > total) {
		throw new ResumeError(
			`cannot resume: the journal has a result for prompt ${recorded}, but the input now has ${total}`,
			'run with the same input as before, or without --resume to start over',
		);
	}
}

/**
 * The one owner of "already answered": a success the journal holds for the same request
 * (resume), a cached answer, or an identical request in flight. It also records what gets
 * answered: every new result into the journal, and new successes into the cache. Reads never
 * write, and both are synchronous, so the engine asks before dispatch.
 */
export class Ledger {
	readonly #options: LedgerOptions;
	/**
	 * The keys of requests in flight, when caching: an identical request waits for the one sent.
	 * Only keys: a map to each request's promise, kept in the old generation, made every young
	 * collection of the run visit them, a third of what a cold cache cost a prompt.
	 */
	readonly #inFlight = new Set<string>();
	/** Identical requests waiting for one in flight, by its key: made only when one comes. */
	readonly #twins = new Map<string, Twins>();

	constructor(options: LedgerOptions) {
		this.#options = options;
	}

	/** What is already known for this prompt; throws ResumeError if the journal disagrees. */
	lookup(record: PromptRecord, request: ApiRequest): Known | undefined {
		const { previous, cache, checked, resendFailed } = this.#options;
		if (!checked) checkResume(previous, record, this.#key(request));
		const failure = previous?.failure(record.index);
		if (failure === null || (failure !== undefined && !resendFailed && isPermanent(failure))) {
			const entry = previous?.get(record.index);
			if (entry) return { source: 'journal', result: entry.record };
		}
		if (!cache) return undefined;
		const key = this.#key(request);
		const answer = cache.get(key);
		if (answer) return { source: 'cache', answer };
		if (!this.#inFlight.has(key)) return undefined;
		let twins = this.#twins.get(key);
		if (!twins) {
			let answered: Twins['answered'] = () => {};
			const answer = new Promise<Answer | undefined>((resolve) => {
				answered = resolve;
			});
			twins = { answer, answered };
			this.#twins.set(key, twins);
		}
		return { source: 'twin', answer: twins.answer };
	}

	/**
	 * `request` is being sent: identical requests wait for its answer instead of going too, till
	 * `sent` says it settled. Only when caching.
	 */
	sending(request: ApiRequest): void {
		if (this.#options.cache) this.#inFlight.add(this.#key(request));
	}

	/**
	 * `request`, which `sending` announced, settled with `result`, or none (the run stopped first,
	 * or it threw): the requests waiting for it get its answer, or none and go themselves.
	 */
	sent(request: ApiRequest, result: ResultRecord | undefined): void {
		if (!this.#options.cache) return;
		const key = this.#key(request);
		this.#inFlight.delete(key);
		const twins = this.#twins.get(key);
		if (!twins) return;
		this.#twins.delete(key);
		twins.answered(result?.error === null ? answerOf(result) : undefined);
	}

	/** Runs `records` with the journal written once, when they end (see JournalWriter.together). */
	together(records: () => void): void {
		const { journal } = this.#options;
		if (journal) journal.together(records);
		else records();
	}

	/** Records a prompt's result. Throws FatalRunError when the journal can't be written. */
	record(request: ApiRequest, result: ResultRecord, source: ResultSource): void {
		const { cache, journal } = this.#options;
		if (source === 'journal' || result.error?.type === 'aborted' || (!cache && !journal)) return;
		const key = this.#key(request);
		journal?.append(key, result);
		if (source === 'sent' && result.error === null)
			cache?.put(key, { ...answerOf(result), created: Date.now() });
	}

	/** Lookup, sending and record all ask for it: requestKey hashes a request once. */
	#key(request: ApiRequest): string {
		return requestKey(this.#options.baseURL, request);
	}
}

/** What the requests identical to one in flight wait for: its answer, or none. */
interface Twins {
	readonly answer: Promise<Answer | undefined>;
	readonly answered: (answer: Answer | undefined) => void;
}

/**
 * A failure that sending the same request again would meet again: a 4xx other than a timeout
 * (408), a conflict (409) or a rate limit (429). GNU parallel's --resume keeps such failures;
 * --resume-failed sends them again.
 */
function isPermanent(failure: RecordedFailure): boolean {
	const status = failure?.status;
	return (
		typeof status === 'number' &&
		status >= 400 &&
		status < 500 &&
		status !== 408 &&
		status !== 409 &&
		status !== 429
	);
}

function answerOf({ response, model, usage, finish_reason }: ResultRecord): Answer {
	return { response, model, usage, finish_reason };
}
