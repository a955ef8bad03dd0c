import { parseDuration } from '../core/duration.ts';

/** The part of a fetch `Headers` we read. */
export interface HeaderReader {
	get(name: string): string | null;
}

/** What a response says about the account's limits; absent fields were not sent. */
export interface RateLimitInfo {
	readonly limitRequests?: number | undefined;
	readonly remainingRequests?: number | undefined;
	readonly resetRequestsMs?: number | undefined;
	readonly limitTokens?: number | undefined;
	readonly remainingTokens?: number | undefined;
	readonly resetTokensMs?: number | undefined;
}

export function readRateLimits(headers: HeaderReader): RateLimitInfo {
	return {
		limitRequests: positive(headers.get('x-ratelimit-limit-requests')),
		remainingRequests: count(headers.get('x-ratelimit-remaining-requests')),
		resetRequestsMs: parseDuration(headers.get('x-ratelimit-reset-requests')),
		limitTokens: positive(headers.get('x-ratelimit-limit-tokens')),
		remainingTokens: count(headers.get('x-ratelimit-remaining-tokens')),
		resetTokensMs: parseDuration(headers.get('x-ratelimit-reset-tokens')),
	};
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

function positive(text: string | null): number | undefined {
	const value = count(text);
	return value === undefined || value === 0 ? undefined : value;
}
