import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDuration } from '../../src/core/duration.ts';
import { readRateLimits, retryAfterMs } from '../../src/http/ratelimit-headers.ts';

test('parseDuration reads the reset durations OpenAI sends', () => {
	const table: [string | null, number | undefined][] = [
		['1s', 1000],
		['6m0s', 360_000],
		['20ms', 20],
		['1.5s', 1500],
		['1h2m3s', 3_723_000],
		['0s', 0],
		['17', 17_000],
		['', undefined],
		[null, undefined],
		['soon', undefined],
		['5x', undefined],
	];
	for (const [text, expected] of table) assert.equal(parseDuration(text), expected, String(text));
});

test('readRateLimits takes the six x-ratelimit headers, leaving out what is absent or nonsense', () => {
	const headers = new Headers({
		'x-ratelimit-limit-requests': '500',
		'x-ratelimit-remaining-requests': '499',
		'x-ratelimit-reset-requests': '120ms',
		'x-ratelimit-limit-tokens': '0',
		'x-ratelimit-remaining-tokens': 'lots',
	});
	assert.deepEqual(readRateLimits(headers), {
		limitRequests: 500,
		remainingRequests: 499,
		resetRequestsMs: 120,
		limitTokens: undefined,
		remainingTokens: undefined,
		resetTokensMs: undefined,
	});
});

test('retryAfterMs: retry-after-ms first, then retry-after in seconds or as a date', () => {
	assert.equal(retryAfterMs(new Headers({ 'retry-after-ms': '42.5', 'retry-after': '9' })), 42.5);
	assert.equal(retryAfterMs(new Headers({ 'retry-after': '3' })), 3000);
	const now = Date.parse('2026-01-01T00:00:00Z');
	assert.equal(
		retryAfterMs(new Headers({ 'retry-after': 'Thu, 01 Jan 2026 00:00:05 GMT' }), now),
		5000,
	);
	assert.equal(retryAfterMs(new Headers({})), undefined);
});
