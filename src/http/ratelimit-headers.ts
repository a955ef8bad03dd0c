import { parseDuration } from '../core/duration.ts';

/** The part of a fetch `Headers` we read. */
export interface HeaderReader {
	get(name: string): string | null;
}

/**
 * What a response says about the account's limits; absent fields were not sent or don't mean
 * what OpenAI's do. A limit is per minute: one over a longer window (Groq's requests per day)
 * is left out, and so are the remaining count and reset of a limit that isn't positive
 * (Azure's `-1`).
 */
export interface RateLimitInfo {
	readonly limitRequests?: number | undefined;
	readonly remainingRequests?: number | undefined;
	readonly resetRequestsMs?: number | undefined;
	readonly limitTokens?: number | undefined;
	readonly remainingTokens?: number | undefined;
	readonly resetTokensMs?: number | undefined;
}

/**
 * The longest window a limit may cover to be taken as per minute. OpenAI's reset is the time
 * until the whole limit is back, so `reset × limit / used` is the window; rounding in the
 * reset ("1s") makes it approximate.
 */
const PER_MINUTE_WINDOW_MS = 120_000;

/**
 * A reset written as a bare number this large is a Unix time in seconds (LiteLLM), not a
 * count of seconds: 10^9 seconds is 31 years.
 */
const EPOCH_SECONDS = 1e9;

export function readRateLimits(headers: HeaderReader, now = Date.now()): RateLimitInfo {
	const requests = readLimit(headers, 'requests', now);
	const tokens = readLimit(headers, 'tokens', now);
	return {
		limitRequests: requests.limit,
		remainingRequests: requests.remaining,
		resetRequestsMs: requests.resetMs,
		limitTokens: tokens.limit,
		remainingTokens: tokens.remaining,
		resetTokensMs: tokens.resetMs,
	};
}

interface Limit {
	readonly limit?: number | undefined;
	readonly remaining?: number | undefined;
	readonly resetMs?: number | undefined;
}

function readLimit(headers: HeaderReader, kind: 'requests' | 'tokens', now: number): Limit {
	const limitText = headers.get(`x-ratelimit-limit-${kind}`);
	const limit = count(limitText);
	if (limitText !== null && !limit) return {};
	const remaining = count(headers.get(`x-ratelimit-remaining-${kind}`));
	const resetMs = resetDuration(headers.get(`x-ratelimit-reset-${kind}`), now);
	if (limit === undefined) return { remaining, resetMs };
	const used = remaining === undefined ? 0 : limit - remaining;
	const windowMs = resetMs !== undefined && used > 0 ? (resetMs * limit) / used : undefined;
	const perMinute = windowMs !== undefined && windowMs <= PER_MINUTE_WINDOW_MS;
	return { limit: perMinute ? limit : undefined, remaining, resetMs };
}

function resetDuration(text: string | null, now: number): number | undefined {
	const bare = Number(text?.trim() || Number.NaN);
	if (Number.isFinite(bare) && bare >= EPOCH_SECONDS) {
		const ms = bare * 1000 - now;
		return ms > 0 ? ms : undefined;
	}
	return parseDuration(text);
}

/**
 * How long the server asks us to wait: `retry-after-ms`, then `retry-after` (seconds or a
 * date). Zero, negative or past is no answer (as the SDK reads it), so that such a header can't
 * make every retry follow in the same millisecond.
 */
export function retryAfterMs(headers: HeaderReader, now = Date.now()): number | undefined {
	const ms = Number.parseFloat(headers.get('retry-after-ms') ?? '');
	if (Number.isFinite(ms) && ms > 0) return ms;
	const after = headers.get('retry-after');
	if (!after) return undefined;
	const seconds = Number.parseFloat(after);
	if (/^\s*-?[\d.]+\s*$/.test(after))
		return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
	const date = Date.parse(after);
	return Number.isNaN(date) || date <= now ? undefined : date - now;
}

function count(text: string | null): number | undefined {
	const value = Number.parseInt(text ?? '', 10);
	return Number.isFinite(value) && value >= 0 ? value : undefined;
}
