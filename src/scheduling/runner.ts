import { setTimeout as sleep } from 'node:timers/promises';
import PQueue from 'p-queue';
import { FatalRunError, PromptbatchError } from '../errors.ts';
import type { PromptRecord } from '../input/records.ts';
import { type ResultRecord, resultRecord } from '../output/record.ts';
import type { ApiRequest } from '../requests/build.ts';
import type { Transport } from '../requests/client.ts';
import { parseCompletion } from '../requests/response.ts';
import type { Limiter } from './limiter.ts';
import { readRateLimits } from './ratelimit-headers.ts';
import { Reorder } from './reorder.ts';
import {
	type BackoffOptions,
	backoffDelay,
	classifyFailure,
	type ErrorInfo,
	type Failure,
} from './retry.ts';
import type { RunStats } from './stats.ts';

export interface RunnerOptions {
	/** Requests in flight at most. */
	readonly concurrency: number;
	/** Attempts after the first, for transient failures. */
	readonly retries: number;
	/** Results held for an earlier, slower one before dispatch waits. */
	readonly window: number;
	readonly backoff?: BackoffOptions;
}

export interface RunnerDeps {
	readonly build: (record: PromptRecord) => ApiRequest;
	readonly transport: Transport;
	readonly limiter: Limiter;
	readonly stats: RunStats;
	/** Receives every result once, in input order. */
	readonly emit: (result: ResultRecord) => Promise<void>;
	readonly verbose: (line: string) => void;
	readonly redact: (text: string) => string;
}

/** Why dispatch ended. `complete` means every record read got its result. */
export type RunEnd =
	| { readonly kind: 'complete' }
	| { readonly kind: 'interrupted' }
	| { readonly kind: 'fatal'; readonly error: PromptbatchError }
	| { readonly kind: 'input'; readonly error: PromptbatchError };

/**
 * Sends every record with at most `concurrency` in flight, paced by the limiter, retrying
 * transient failures, and hands results on in input order. Stops dispatching at the first
 * fatal failure, bad input record or abort of `signal`; in-flight requests are then aborted
 * (fatal, abort) or let finish (bad input), and every record read still gets its one result.
 */
export async function runRecords(
	records: AsyncIterable<PromptRecord>,
	options: RunnerOptions,
	deps: RunnerDeps,
	signal?: AbortSignal,
): Promise<RunEnd> {
	const { stats, limiter, transport, verbose, redact } = deps;
	const stop = new AbortController();
	let end: RunEnd = { kind: 'complete' };
	const finish = (reason: RunEnd, abortInFlight: boolean) => {
		if (end.kind === 'complete') end = reason;
		if (abortInFlight) stop.abort();
	};
	const onAbort = () => finish({ kind: 'interrupted' }, true);
	if (signal?.aborted) onAbort();
	signal?.addEventListener('abort', onAbort, { once: true });

	const queue = new PQueue({ concurrency: options.concurrency });
	const reorder = new Reorder<ResultRecord>(options.window, deps.emit);
	let emitFailure: unknown;

	const attemptAll = async (record: PromptRecord, request: ApiRequest): Promise<ResultRecord> => {
		const startedAt = performance.now();
		const result = (fields: Omit<Parameters<typeof resultRecord>[2], 'attempts' | 'latency_ms'>) =>
			resultRecord(record, request.input, {
				...fields,
				attempts,
				latency_ms: Math.round(performance.now() - startedAt),
			});
		const failed = (error: ErrorInfo) => {
			stats.failed++;
			return result({
				response: null,
				error: { ...error, message: redact(error.message) },
				model: null,
				usage: null,
				finish_reason: null,
			});
		};
		let attempts = 0;
		for (;;) {
			if (stop.signal.aborted) return failed(stoppedError(end, attempts > 0));
			try {
				await limiter.acquire(request.estimatedTokens, stop.signal);
			} catch {
				continue;
			}
			attempts++;
			if (attempts > 1) stats.retries++;
			stats.inFlight++;
			let failure: Failure;
			try {
				const { data, headers } = await transport(request, stop.signal);
				limiter.learn(readRateLimits(headers));
				const completion = parseCompletion(request.api, data);
				if (completion.usage) {
					limiter.settle(request.estimatedTokens, completion.usage.total_tokens);
					stats.promptTokens += completion.usage.prompt_tokens;
					stats.completionTokens += completion.usage.completion_tokens;
				}
				stats.ok++;
				return result({
					response: completion.text,
					error: null,
					model: completion.model,
					usage: completion.usage,
					finish_reason: completion.finishReason,
				});
			} catch (error) {
				if (stop.signal.aborted) continue;
				failure = classifyFailure(error);
			} finally {
				stats.inFlight--;
			}
			if (failure.headers) limiter.learn(readRateLimits(failure.headers));
			if (failure.verdict === 'fatal') {
				finish({ kind: 'fatal', error: fatalError(failure.error, redact) }, true);
				return failed(failure.error);
			}
			if (failure.verdict === 'fail' || attempts > options.retries) return failed(failure.error);
			const delay = backoffDelay(attempts, failure.waitMs, options.backoff);
			if (failure.rateLimited) limiter.pauseUntil(performance.now() + delay);
			verbose(
				`[${record.index}] attempt ${attempts} of ${options.retries + 1} failed: ${redact(describe(failure.error))}; retrying in ${(delay / 1000).toFixed(2)}s`,
			);
			await sleep(delay, undefined, { signal: stop.signal }).catch(() => {});
		}
	};

	const stopped = aborted(stop.signal);
	try {
		for await (const record of abortable(records, stopped)) {
			await Promise.race([reorder.admit(record.index), stopped]);
			await Promise.race([queue.onSizeLessThan(options.concurrency), stopped]);
			if (stop.signal.aborted) break;
			const request = deps.build(record);
			queue
				.add(() => attemptAll(record, request))
				.then((result) => reorder.put(record.index, result as ResultRecord))
				.catch((error: unknown) => {
					emitFailure ??= error;
					finish({ kind: 'interrupted' }, true);
				});
		}
	} catch (error) {
		if (!(error instanceof PromptbatchError)) throw error;
		finish({ kind: 'input', error }, false);
	} finally {
		signal?.removeEventListener('abort', onAbort);
	}
	await queue.onIdle();
	await reorder.flushed().catch(() => {});
	if (emitFailure !== undefined) throw emitFailure;
	return end;
}

function stoppedError(end: RunEnd, sent: boolean): ErrorInfo {
	const why = end.kind === 'fatal' ? `run aborted: ${end.error.message}` : 'run interrupted';
	return {
		status: null,
		type: 'aborted',
		code: null,
		message: sent ? `${why} while this prompt was in flight` : `${why} before this prompt was sent`,
	};
}

function fatalError(error: ErrorInfo, redact: (text: string) => string): FatalRunError {
	const message = redact(describe(error));
	if (error.status === 401)
		return new FatalRunError(`authentication rejected: ${message}`, 'check OPENAI_API_KEY');
	if (error.status === 403)
		return new FatalRunError(
			`permission denied: ${message}`,
			'check the key, project and model access',
		);
	return new FatalRunError(
		`quota or billing exhausted: ${message}`,
		'check your plan and billing details',
	);
}

function describe(error: ErrorInfo): string {
	const status = error.status === null ? '' : `${error.status} `;
	const code = error.code ? ` [${error.code}]` : '';
	const message =
		error.status !== null && error.message.startsWith(String(error.status))
			? error.message.slice(4)
			: error.message;
	return `${status}${error.type ?? 'error'}${code}: ${message}`;
}

/** A promise that resolves when the signal aborts (never, if it never does). */
function aborted(signal: AbortSignal): Promise<void> {
	if (signal.aborted) return Promise.resolve();
	return new Promise((resolve) =>
		signal.addEventListener('abort', () => resolve(), { once: true }),
	);
}

/** Iterates until `stopped` resolves, even while a read (stdin) is blocked. */
async function* abortable<T>(
	iterable: AsyncIterable<T>,
	stopped: Promise<void>,
): AsyncGenerator<T> {
	const iterator = iterable[Symbol.asyncIterator]();
	const end = stopped.then(() => undefined);
	try {
		for (;;) {
			const next = await Promise.race([iterator.next(), end]);
			if (next === undefined || next.done) return;
			yield next.value;
		}
	} finally {
		// A blocked read can't be cut short; don't wait for it, the caller closes the stream.
		iterator.return?.()?.catch(() => {});
	}
}
