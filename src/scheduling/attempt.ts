import { setTimeout as sleep } from 'node:timers/promises';
import type { PromptRecord } from '../input/records.ts';
import { type ResultRecord, resultRecord } from '../output/record.ts';
import type { ApiRequest } from '../requests/build.ts';
import type { Transport } from '../requests/client.ts';
import { parseCompletion } from '../requests/response.ts';
import type { Limiter } from './limiter.ts';
import { readRateLimits } from './ratelimit-headers.ts';
import {
	type BackoffOptions,
	backoffDelay,
	classifyFailure,
	type ErrorInfo,
	type Failure,
} from './retry.ts';
import type { RunStats } from './stats.ts';

export interface AttemptContext {
	readonly transport: Transport;
	readonly limiter: Limiter;
	readonly stats: RunStats;
	readonly retries: number;
	readonly backoff?: BackoffOptions | undefined;
	/** Aborted: start no new attempt (dispatch has stopped). */
	readonly halted: AbortSignal;
	/** Aborted: cut requests in flight short. */
	readonly aborted: AbortSignal;
	/** Why the run stopped, for the records of prompts it cut short. */
	readonly stopReason: () => string;
	/** A failure that dooms every request: the caller stops the run. */
	readonly onFatal: (failure: Failure) => void;
	readonly verbose: (line: string) => void;
	readonly redact: (text: string) => string;
}

/**
 * Sends one prompt until it succeeds, fails for good, runs out of retries, or the run stops.
 * Resolves with its one result either way (failures have the same shape as successes), or with
 * undefined when the run stopped before the prompt was ever sent: it has no result, and a
 * resumed run sends it.
 */
export async function attempt(
	record: PromptRecord,
	request: ApiRequest,
	ctx: AttemptContext,
): Promise<ResultRecord | undefined> {
	const { stats, limiter, redact } = ctx;
	const startedAt = performance.now();
	let attempts = 0;
	const finish = (fields: Omit<Parameters<typeof resultRecord>[2], 'attempts' | 'latency_ms'>) =>
		resultRecord(record, request.input, {
			...fields,
			attempts,
			latency_ms: Math.round(performance.now() - startedAt),
		});
	const failed = (error: ErrorInfo) =>
		finish({
			response: null,
			error: { ...error, message: redact(error.message) },
			model: null,
			usage: null,
			finish_reason: null,
		});
	const stopped = () => {
		if (attempts === 0) return undefined;
		stats.aborted++;
		return failed({ status: null, type: 'aborted', code: null, message: ctx.stopReason() });
	};

	for (;;) {
		if (ctx.halted.aborted) return stopped();
		try {
			await limiter.acquire(request.estimatedTokens, ctx.halted);
		} catch {
			return stopped();
		}
		// The queue may start this task in the same tick as the result that halts the run.
		if (ctx.halted.aborted) return stopped();
		attempts++;
		if (attempts > 1) stats.retries++;
		stats.inFlight++;
		let failure: Failure;
		try {
			const { data, headers } = await ctx.transport(request, ctx.aborted);
			limiter.learn(readRateLimits(headers));
			const completion = parseCompletion(request.api, data);
			if (completion.usage) {
				limiter.settle(request.estimatedTokens, completion.usage.total_tokens);
				stats.promptTokens += completion.usage.prompt_tokens;
				stats.completionTokens += completion.usage.completion_tokens;
			}
			stats.ok++;
			return finish({
				response: completion.text,
				error: null,
				model: completion.model,
				usage: completion.usage,
				finish_reason: completion.finishReason,
			});
		} catch (error) {
			if (ctx.aborted.aborted) return stopped();
			failure = classifyFailure(error);
		} finally {
			stats.inFlight--;
		}
		if (failure.headers) limiter.learn(readRateLimits(failure.headers));
		if (failure.verdict === 'fatal') ctx.onFatal(failure);
		if (failure.verdict !== 'retry' || attempts > ctx.retries) {
			stats.failed++;
			return failed(failure.error);
		}
		const delay = backoffDelay(attempts, failure.waitMs, ctx.backoff);
		if (failure.rateLimited) limiter.pauseUntil(performance.now() + delay);
		ctx.verbose(
			`[${record.index}] attempt ${attempts} of ${ctx.retries + 1} failed: ${redact(describeError(failure.error))}; retrying in ${(delay / 1000).toFixed(2)}s`,
		);
		await sleep(delay, undefined, { signal: ctx.halted }).catch(() => {});
	}
}

/** `429 requests [rate_limit_exceeded]: Rate limit reached`: status, type, code, message. */
export function describeError(error: ErrorInfo): string {
	const status = error.status === null ? '' : `${error.status} `;
	const code = error.code ? ` [${error.code}]` : '';
	const message =
		error.status !== null && error.message.startsWith(`${error.status} `)
			? error.message.slice(4)
			: error.message;
	return `${status}${error.type ?? 'error'}${code}: ${message}`;
}
