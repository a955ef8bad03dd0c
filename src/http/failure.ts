import { FatalRunError } from '../core/errors.ts';
import type { ErrorInfo } from '../core/types.ts';
import type { ConnectionFailure } from './connection.ts';
import { type HeaderReader, readRateLimits, retryAfterMs } from './ratelimit-headers.ts';

/**
 * What to do about a failed attempt:
 * - `retry`: transient (408, 409, 429 rate limits, 5xx, timeouts, dropped connections, bad bodies);
 * - `fail`: this prompt's own fault (400, 404, 422, ...), never retried;
 * - `fatal`: dooms every request (key rejected, no permission, quota or billing exhausted).
 */
export type Verdict = 'retry' | 'fail' | 'fatal';

export interface Failure {
	readonly verdict: Verdict;
	readonly error: ErrorInfo;
	/** How long the server asked us to wait, if it did. */
	readonly waitMs: number | undefined;
	/** A 429 rate limit: the whole queue pauses, not just this request. */
	readonly rateLimited: boolean;
	/**
	 * Flex processing had no capacity (429 "Resource Unavailable"): not billed, and not the
	 * request's fault, so retried for as long as its time allows, not counted as a retry.
	 */
	readonly unavailable: boolean;
	/**
	 * What every request would meet too if this is not bad luck: the same failure twice has
	 * the same signature. Undefined for failures that are one prompt's own or pass by.
	 */
	readonly signature: string | undefined;
	readonly headers: HeaderReader | undefined;
}

/** Codes of a 429 that mean money, not speed: waiting will not help. */
const QUOTA_CODES = new Set([
	'insufficient_quota',
	'billing_hard_limit_reached',
	'billing_not_active',
	'access_terminated',
]);

/** How flex processing says it has no capacity now. */
const UNAVAILABLE = /resource[\s_-]?unavailable/i;

/** Codes of a failure that is one prompt's own, however many prompts meet it. */
const PROMPT_SPECIFIC = new Set([
	'context_length_exceeded',
	'string_above_max_length',
	'content_filter',
	'content_policy_violation',
	'invalid_image',
	'invalid_image_url',
]);

/** The shape of the SDK's errors (and MalformedResponseError) that we read; anything else is a plain Error. */
interface ApiErrorLike {
	readonly name?: string;
	readonly status?: number | undefined;
	readonly headers?: HeaderReader | undefined;
	readonly code?: string | null | undefined;
	readonly type?: string | undefined;
	readonly message?: string;
}

/** Classifies an error from one attempt. Pure: the table in retry.test.ts is its spec. */
export function classifyFailure(thrown: unknown, now = Date.now()): Failure {
	const e = (thrown ?? {}) as ApiErrorLike;
	const name = (thrown as Error)?.constructor?.name ?? e.name;
	const status = typeof e.status === 'number' ? e.status : null;
	const code = typeof e.code === 'string' ? e.code : null;
	const type = typeof e.type === 'string' ? e.type : null;
	const message = String(e.message ?? thrown);
	const headers = e.headers;
	const unavailable = status === 429 && UNAVAILABLE.test(`${code ?? ''} ${type ?? ''} ${message}`);
	const info = (verdict: Verdict, errorType: string | null, text = message): Failure => ({
		verdict,
		error: { status, type: errorType, code, message: text },
		waitMs: headers ? serverWait(headers, status, now) : undefined,
		rateLimited: verdict === 'retry' && status === 429 && !unavailable,
		unavailable,
		headers,
		signature:
			verdict === 'fail' && !PROMPT_SPECIFIC.has(code ?? '')
				? `${status} ${errorType} ${code}`
				: name === 'ConnectionFailure' && (thrown as ConnectionFailure).unreachable
					? `connection ${code}`
					: undefined,
	});

	if (status === null) {
		if (name === 'APIConnectionTimeoutError') return info('retry', 'timeout');
		if (name === 'APIConnectionError' || name === 'ConnectionFailure')
			return info('retry', 'connection_error');
		if (name === 'StreamedResponseError') return info('fail', 'streamed_response');
		if (name === 'ResponseTooLargeError') return info('fail', 'response_too_large');
		if (name === 'MalformedResponseError' || name === 'SyntaxError') {
			return info(
				'retry',
				'invalid_response',
				name === 'SyntaxError' ? `unparseable response body: ${message}` : message,
			);
		}
		return info('fail', 'client_error');
	}
	// 402: DeepSeek and OpenRouter say "insufficient balance" so, as OpenAI says it with a 429.
	if (status === 401 || status === 403 || status === 402) return info('fatal', type);
	if (status === 429)
		return info(
			QUOTA_CODES.has(code ?? '') || QUOTA_CODES.has(type ?? '') ? 'fatal' : 'retry',
			type,
		);
	if (status === 408 || status === 409 || status >= 500) return info('retry', type);
	return info('fail', type);
}

function serverWait(headers: HeaderReader, status: number | null, now: number): number | undefined {
	const after = retryAfterMs(headers, now);
	if (after !== undefined || status !== 429) return after;
	const limits = readRateLimits(headers, now);
	const dimensions = [
		{ remaining: limits.remainingRequests, resetMs: limits.resetRequestsMs },
		{ remaining: limits.remainingTokens, resetMs: limits.resetTokensMs },
	].filter((dimension) => dimension.resetMs !== undefined);
	// Wait for the limit that ran out, not for a longer one with room left (Groq's daily requests).
	const spent = dimensions.filter((dimension) => dimension.remaining === 0);
	const resets = (spent.length > 0 ? spent : dimensions).map((dimension) => dimension.resetMs ?? 0);
	return resets.length > 0 ? Math.max(...resets) : undefined;
}

/** `429 requests [rate_limit_exceeded]: Rate limit reached`: status, type, code, message. */
export function describeFailure(error: ErrorInfo): string {
	const status = error.status === null ? '' : `${error.status} `;
	const code = error.code ? ` [${error.code}]` : '';
	const message =
		error.status !== null && error.message.startsWith(`${error.status} `)
			? error.message.slice(4)
			: error.message;
	return `${status}${error.type ?? 'error'}${code}: ${message}`;
}

/** The error that ends a run after a `fatal` failure, saying what the user must fix. */
export function fatalError(error: ErrorInfo, redact: (text: string) => string): FatalRunError {
	const message = redact(describeFailure(error));
	if (error.status === 401)
		return new FatalRunError(`authentication rejected: ${message}`, 'check OPENAI_API_KEY');
	if (error.status === 403)
		return new FatalRunError(
			`permission denied: ${message}`,
			'check the key, project and model access',
		);
	// The server's message already says to check the plan and billing.
	return new FatalRunError(
		`quota or billing exhausted: ${message}`,
		'once the account has credit, run the same command again (with --resume after -o FILE)',
	);
}

/**
 * The error that ends a run whose first requests all failed alike and none succeeded: a
 * wrong base URL, model or parameter, or a server that can't be reached, fails every prompt.
 */
export function systematicError(
	error: ErrorInfo,
	count: number,
	url: string,
	redact: (text: string) => string,
): FatalRunError {
	const what = `the first ${count} requests to ${url} all failed alike, and none succeeded: ${redact(describeFailure(error))}`;
	const hint =
		error.type === 'connection_error'
			? 'check --base-url, and that the server is running and reachable'
			: error.type === 'streamed_response'
				? 'this server streams every answer, whatever the request says'
				: error.code === 'model_not_found'
					? 'check -m: the server does not know that model'
					: error.status === 404
						? 'check --base-url: an OpenAI-compatible one usually ends in /v1'
						: error.status === 400 || error.status === 422
							? 'check the option or -p field the message names; the failed records say more'
							: 'check the options; the failed records say more';
	return new FatalRunError(what, hint);
}
