import { setTimeout as sleep } from 'node:timers/promises';
import type { FatalRunError } from '../../core/errors.ts';
import type { ApiRequest, ErrorInfo, Outcome } from '../../core/types.ts';
import {
	classifyFailure,
	describeFailure,
	type Failure,
	fatalError,
	systematicError,
} from '../../http/failure.ts';
import { readRateLimits } from '../../http/ratelimit-headers.ts';
import type { Transport } from '../../http/transport.ts';
import { type BackoffOptions, backoffDelay, formatWait, MAX_WAIT_MS } from './backoff.ts';
import type { Limiter } from './limiter.ts';
import type { Stop } from './stop.ts';
import { SYSTEMATIC_AFTER, type SystematicWatch } from './systematic.ts';

/** What the engine tells its caller about requests, for progress. */
export interface RequestEvents {
	/** A request went out; `retry` when it is not its prompt's first. */
	requestStarted(retry: boolean): void;
	/** A request came back, either way. */
	requestEnded(): void;
}

export interface AttemptContext {
	readonly transport: Transport;
	readonly limiter: Limiter;
	readonly retries: number;
	/** How long a prompt keeps retrying while flex processing has no capacity. */
	readonly unavailableMs: number;
	readonly backoff?: BackoffOptions | undefined;
	readonly stop: Stop;
	readonly events: RequestEvents;
	readonly systematic: SystematicWatch;
	/** Where requests go, for messages. */
	readonly baseURL: string;
	/** A failure that dooms every request: the caller stops the run. */
	readonly onFatal: (error: FatalRunError) => void;
	readonly verbose: (line: string) => void;
	/** A warning for the user, said once per `key` however often it comes up. */
	readonly warnOnce: (key: string, line: string) => void;
	readonly redact: (text: string) => string;
}

/**
 * Sends one prompt's request until it succeeds, fails for good, runs out of retries, or the
 * run stops. Resolves with its outcome either way, or with undefined when the run stopped
 * before the request was ever sent: it has no result, and a resumed run sends it.
 */
export async function attempt(
	index: number,
	request: ApiRequest,
	ctx: AttemptContext,
): Promise<Outcome | undefined> {
	const { limiter, redact, stop, events } = ctx;
	const startedAt = performance.now();
	let attempts = 0;
	/** Attempts flex processing had no capacity for: not billed, not counted as retries. */
	let unavailable = 0;
	const failed = (error: ErrorInfo): Outcome => ({
		completion: null,
		error: { ...error, message: redact(error.message) },
		attempts,
		latencyMs: performance.now() - startedAt,
	});
	const stopped = () =>
		attempts === 0
			? undefined
			: failed({ status: null, type: 'aborted', code: null, message: stop.reason() });

	for (;;) {
		if (stop.stopSending.aborted) return stopped();
		try {
			await limiter.acquire(request.estimatedTokens, stop.stopSending);
		} catch {
			return stopped();
		}
		// The queue may start this task in the same tick as the result that stops the run.
		if (stop.stopSending.aborted) return stopped();
		attempts++;
		events.requestStarted(attempts > 1);
		let failure: Failure;
		try {
			const { completion, headers } = await ctx.transport(request, stop.cancelInFlight);
			limiter.learn(readRateLimits(headers));
			if (completion.usage) limiter.settle(request.estimatedTokens, completion.usage.total_tokens);
			ctx.systematic.succeeded();
			// A server that echoes the key back must not get it into our output.
			const text = redact(completion.text);
			return {
				completion: text === completion.text ? completion : { ...completion, text },
				error: null,
				attempts,
				latencyMs: performance.now() - startedAt,
			};
		} catch (error) {
			if (stop.cancelInFlight.aborted) return stopped();
			failure = classifyFailure(error);
		} finally {
			events.requestEnded();
		}
		if (failure.headers) limiter.learn(readRateLimits(failure.headers));
		if (failure.verdict === 'fatal') ctx.onFatal(fatalError(failure.error, redact));
		else if (ctx.systematic.failed(failure))
			ctx.onFatal(
				systematicError(failure.error, SYSTEMATIC_AFTER, `${ctx.baseURL}${request.path}`, redact),
			);
		if (failure.verdict !== 'retry') return failed(failure.error);
		const delay = backoffDelay(
			failure.unavailable ? ++unavailable : attempts,
			failure.waitMs,
			ctx.backoff,
		);
		if (failure.unavailable) {
			if (performance.now() + delay - startedAt > ctx.unavailableMs)
				return failed({
					...failure.error,
					message: `${failure.error.message} (flex processing had no capacity for ${formatWait(performance.now() - startedAt)}: send it again later, or without --service-tier flex)`,
				});
		} else if (attempts - unavailable > ctx.retries) return failed(failure.error);
		if (failure.waitMs !== undefined && failure.waitMs > MAX_WAIT_MS)
			ctx.warnOnce(
				'retry-after',
				`the server asked to wait ${formatWait(failure.waitMs)} before a retry; waiting ${formatWait(MAX_WAIT_MS)} at most each time`,
			);
		if (failure.rateLimited) limiter.pauseUntil(performance.now() + delay);
		ctx.verbose(
			failure.unavailable
				? `[${index}] attempt ${attempts}: flex processing has no capacity (not billed, not counted as a retry); retrying in ${(delay / 1000).toFixed(2)}s`
				: `[${index}] attempt ${attempts - unavailable} of ${ctx.retries + 1} failed: ${redact(describeFailure(failure.error)).replace(/\.$/, '')}; retrying in ${(delay / 1000).toFixed(2)}s`,
		);
		await sleep(delay, undefined, { signal: stop.stopSending }).catch(() => {});
	}
}
