import { type HeaderReader, readRateLimits, retryAfterMs } from './ratelimit-headers.ts';

/** The `error` field of an output record. */
export interface ErrorInfo {
	readonly status: number | null;
	readonly type: string | null;
	readonly code: string | null;
	readonly message: string;
}

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
	readonly headers: HeaderReader | undefined;
}

/** Codes of a 429 that mean money, not speed: waiting will not help. */
const QUOTA_CODES = new Set([
	'insufficient_quota',
	'billing_hard_limit_reached',
	'billing_not_active',
	'access_terminated',
]);

/** The shape of the SDK's errors that we read; anything else is a plain Error. */
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
	const info = (verdict: Verdict, errorType: string | null, text = message): Failure => ({
		verdict,
		error: { status, type: errorType, code, message: text },
		waitMs: headers ? serverWait(headers, status, now) : undefined,
		rateLimited: verdict === 'retry' && status === 429,
		headers,
	});

	if (status === null) {
		if (name === 'APIConnectionTimeoutError') return info('retry', 'timeout');
		if (name === 'APIConnectionError') return info('retry', 'connection_error');
		if (name === 'MalformedResponseError' || name === 'SyntaxError') {
			return info(
				'retry',
				'invalid_response',
				name === 'SyntaxError' ? `unparseable response body: ${message}` : message,
			);
		}
		return info('fail', 'client_error');
	}
	if (status === 401 || status === 403) return info('fatal', type);
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
	const limits = readRateLimits(headers);
	const resets = [limits.resetRequestsMs, limits.resetTokensMs].filter((ms) => ms !== undefined);
	return resets.length > 0 ? Math.max(...resets) : undefined;
}

export interface BackoffOptions {
	/** First delay before jitter. Default 500 ms. */
	readonly baseMs?: number;
	/** Cap on our own backoff. Default 30 s. */
	readonly maxMs?: number;
	/** Cap on a server's hint, so a bad header can't park the run for a day. Default 10 min. */
	readonly maxHintMs?: number;
	readonly random?: () => number;
}

/**
 * Delay before retry number `retry` (1 for the first). Exponential with "equal jitter" (half
 * fixed, half random), capped; a server's hint wins when it asks for longer, and still gets a
 * little jitter so that every waiting request doesn't return in the same millisecond.
 */
export function backoffDelay(
	retry: number,
	hintMs: number | undefined,
	options: BackoffOptions = {},
): number {
	const { baseMs = 500, maxMs = 30_000, maxHintMs = 600_000, random = Math.random } = options;
	const exponential = Math.min(maxMs, baseMs * 2 ** (retry - 1));
	const ours = exponential / 2 + random() * (exponential / 2);
	if (hintMs === undefined) return ours;
	const hint = Math.min(hintMs, maxHintMs);
	return hint + random() * Math.min(1000, hint * 0.1);
}
