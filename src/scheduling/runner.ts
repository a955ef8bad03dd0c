import PQueue from 'p-queue';
import { FatalRunError, HaltError, PromptbatchError } from '../errors.ts';
import type { PromptRecord } from '../input/records.ts';
import type { Ledger } from '../output/ledger.ts';
import { cachedResult, type ResultRecord } from '../output/record.ts';
import type { ApiRequest } from '../requests/build.ts';
import type { Transport } from '../requests/client.ts';
import { abortable, orAbort } from './abortable.ts';
import { type AttemptContext, attempt, describeError } from './attempt.ts';
import { type HaltPolicy, shouldHalt } from './halt.ts';
import type { Limiter } from './limiter.ts';
import { Reorder } from './reorder.ts';
import type { BackoffOptions } from './retry.ts';
import type { RunStats } from './stats.ts';

export interface RunnerOptions {
	/** Requests in flight at most. */
	readonly concurrency: number;
	/** Attempts after the first, for transient failures. */
	readonly retries: number;
	/** Results held for an earlier, slower one before dispatch waits. */
	readonly window: number;
	/** After an interrupt, how long requests in flight may take before they are aborted. */
	readonly graceMs: number;
	readonly halt?: HaltPolicy | undefined;
	readonly backoff?: BackoffOptions;
}

export interface RunnerDeps {
	readonly build: (record: PromptRecord) => ApiRequest;
	readonly transport: Transport;
	readonly limiter: Limiter;
	readonly stats: RunStats;
	/** Receives every result once, in input order. */
	readonly emit: (result: ResultRecord) => void | Promise<void>;
	/** Answers what is already answered (resume, cache) and records what gets answered. */
	readonly ledger?: Ledger | undefined;
	readonly verbose: (line: string) => void;
	readonly redact: (text: string) => string;
}

export interface RunSignals {
	/** Stop dispatching; requests in flight get `graceMs` to finish. */
	readonly interrupt?: AbortSignal | undefined;
	/** Stop dispatching and abort requests in flight now. */
	readonly abort?: AbortSignal | undefined;
}

/** Why dispatch ended. `complete` means every record read got its result. */
export type RunEnd =
	| { readonly kind: 'complete' }
	| { readonly kind: 'interrupted' }
	| { readonly kind: 'fatal' | 'input' | 'halted'; readonly error: PromptbatchError };

/**
 * Sends every record with at most `concurrency` in flight, paced by the limiter, retrying
 * transient failures, and hands results on in input order. Dispatch stops at an interrupt, a
 * fatal failure, a bad input record or `--halt`. Every prompt that was sent gets its one
 * result; prompts the run stopped before sending get none (a resumed run sends them).
 */
export async function runRecords(
	records: AsyncIterable<PromptRecord>,
	options: RunnerOptions,
	deps: RunnerDeps,
	signals: RunSignals = {},
): Promise<RunEnd> {
	const { stats, ledger } = deps;
	const halt = new AbortController();
	const abort = new AbortController();
	let end: RunEnd = { kind: 'complete' };
	let grace: NodeJS.Timeout | undefined;
	const finish = (reason: RunEnd, abortInFlight: boolean) => {
		if (end.kind === 'complete') end = reason;
		halt.abort();
		if (abortInFlight) abort.abort();
	};
	const onInterrupt = () => {
		finish({ kind: 'interrupted' }, false);
		grace = setTimeout(() => abort.abort(), options.graceMs);
	};
	const onAbort = () => finish({ kind: 'interrupted' }, true);
	for (const [signal, listener] of [
		[signals.interrupt, onInterrupt],
		[signals.abort, onAbort],
	] as const) {
		if (signal?.aborted) listener();
		else signal?.addEventListener('abort', listener, { once: true });
	}

	const ctx: AttemptContext = {
		transport: deps.transport,
		limiter: deps.limiter,
		stats,
		retries: options.retries,
		backoff: options.backoff,
		halted: halt.signal,
		aborted: abort.signal,
		stopReason: () =>
			`${end.kind === 'complete' || end.kind === 'interrupted' ? 'run interrupted' : `run stopped: ${end.error.message}`} while this prompt was in flight`,
		onFatal: (failure) =>
			finish(
				{
					kind: 'fatal',
					error: fatalError(describeError(failure.error), failure.error.status, deps.redact),
				},
				true,
			),
		verbose: deps.verbose,
		redact: deps.redact,
	};
	const queue = new PQueue({ concurrency: options.concurrency });
	// A prompt the run stopped before sending leaves a hole: no record, and resume sends it.
	const reorder = new Reorder<ResultRecord | undefined>(options.window, (result) =>
		result ? deps.emit(result) : undefined,
	);
	const pending = new Set<Promise<void>>();
	/** The first request of each distinct body in flight, when caching: its twins wait for it. */
	const leaders = new Map<string, Promise<ResultRecord | undefined>>();
	let emitFailure: unknown;

	const settle = (
		record: PromptRecord,
		request: ApiRequest | undefined,
		result: ResultRecord | undefined,
	) => {
		if (request && result) ledger?.record(request, result);
		if (
			result &&
			result.error?.type !== 'aborted' &&
			shouldHalt(options.halt, stats.failed, stats.ok + stats.failed)
		) {
			const halted = new HaltError(
				`halted after ${stats.failed} failed prompts (--halt ${options.halt?.text})`,
				'see the failed records for why',
			);
			finish({ kind: 'halted', error: halted }, options.halt?.when === 'now');
		}
		return reorder.put(record.index, result);
	};
	const track = (promise: Promise<void>) => {
		const tracked = promise.catch((error: unknown) => {
			if (error instanceof PromptbatchError) finish({ kind: 'fatal', error }, true);
			else {
				emitFailure ??= error;
				finish({ kind: 'interrupted' }, true);
			}
		});
		pending.add(tracked);
		tracked.finally(() => pending.delete(tracked));
	};
	const follow = async (
		leader: Promise<ResultRecord | undefined>,
		record: PromptRecord,
		request: ApiRequest,
	) => {
		const lead = await leader;
		if (!lead || lead.error !== null) return attempt(record, request, ctx);
		countReuse(stats, lead, 'cache');
		return cachedResult(record, request.input, lead);
	};

	try {
		for await (const record of abortable(records, halt.signal)) {
			await orAbort(reorder.admit(record.index), halt.signal);
			await orAbort(queue.onSizeLessThan(options.concurrency), halt.signal);
			if (halt.signal.aborted) break;
			const request = deps.build(record);
			const reused = ledger?.reuse(record, request);
			if (reused) {
				countReuse(stats, reused.result, reused.source);
				track(settle(record, undefined, reused.result));
				continue;
			}
			const key = ledger?.caching ? ledger.key(request) : undefined;
			const leader = key === undefined ? undefined : leaders.get(key);
			const task = queue.add(() =>
				leader ? follow(leader, record, request) : attempt(record, request, ctx),
			) as Promise<ResultRecord | undefined>;
			if (key !== undefined && !leader) {
				leaders.set(key, task);
				task.finally(() => leaders.delete(key)).catch(() => {});
			}
			track(task.then((result) => settle(record, request, result)));
		}
	} catch (error) {
		if (!(error instanceof PromptbatchError)) throw error;
		finish(
			{ kind: error instanceof FatalRunError ? 'fatal' : 'input', error },
			error instanceof FatalRunError,
		);
	}
	await queue.onIdle();
	while (pending.size > 0) await Promise.all(pending);
	clearTimeout(grace);
	signals.interrupt?.removeEventListener('abort', onInterrupt);
	signals.abort?.removeEventListener('abort', onAbort);
	await reorder.flushed().catch(() => {});
	if (emitFailure !== undefined) throw emitFailure;
	return end;
}

function countReuse(stats: RunStats, result: ResultRecord, source: 'journal' | 'cache'): void {
	stats.ok++;
	if (source === 'journal') stats.resumed++;
	else {
		stats.cached++;
		stats.cachedTokens += result.usage?.total_tokens ?? 0;
	}
}

function fatalError(
	description: string,
	status: number | null,
	redact: (text: string) => string,
): FatalRunError {
	const message = redact(description);
	if (status === 401)
		return new FatalRunError(`authentication rejected: ${message}`, 'check OPENAI_API_KEY');
	if (status === 403)
		return new FatalRunError(
			`permission denied: ${message}`,
			'check the key, project and model access',
		);
	return new FatalRunError(
		`quota or billing exhausted: ${message}`,
		'check your plan and billing details',
	);
}
