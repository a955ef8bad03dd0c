import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RateLimitError } from 'openai';
import { parseDuration } from '../../src/core/duration.ts';
import { classifyFailure } from '../../src/http/failure.ts';
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

test("readRateLimits learns only what other servers' headers really say", () => {
	const now = Date.parse('2026-01-01T00:00:00Z');
	type Row = [string, Record<string, string>, Record<string, number | undefined>];
	const table: Row[] = [
		[
			'OpenAI: per-minute limits (6 used of 10,000 back in 36 ms is a 60 s window)',
			{
				'x-ratelimit-limit-requests': '10000',
				'x-ratelimit-remaining-requests': '9994',
				'x-ratelimit-reset-requests': '36ms',
				'x-ratelimit-limit-tokens': '30000',
				'x-ratelimit-remaining-tokens': '29977',
				'x-ratelimit-reset-tokens': '46ms',
			},
			{ limitRequests: 10_000, remainingRequests: 9994, limitTokens: 30_000 },
		],
		[
			'Groq: requests per day (1 used of 14,400 back in 6 s) is not a per-minute pace',
			{
				'x-ratelimit-limit-requests': '14400',
				'x-ratelimit-remaining-requests': '14399',
				'x-ratelimit-reset-requests': '6s',
				'x-ratelimit-limit-tokens': '6000',
				'x-ratelimit-remaining-tokens': '5990',
				'x-ratelimit-reset-tokens': '100ms',
			},
			{
				limitRequests: undefined,
				remainingRequests: 14_399,
				resetRequestsMs: 6000,
				limitTokens: 6000,
			},
		],
		[
			'Groq out of requests for the day: the pause still holds',
			{
				'x-ratelimit-limit-requests': '14400',
				'x-ratelimit-remaining-requests': '0',
				'x-ratelimit-reset-requests': '2m59.56s',
			},
			{ limitRequests: undefined, remainingRequests: 0, resetRequestsMs: 179_560 },
		],
		[
			"Together: unsuffixed per-second headers and x-tokenlimit-* are not OpenAI's",
			{
				'x-ratelimit-limit': '10',
				'x-ratelimit-remaining': '0',
				'x-ratelimit-reset': '1',
				'x-tokenlimit-limit': '200000',
				'x-tokenlimit-remaining': '0',
			},
			{ limitRequests: undefined, remainingRequests: undefined, limitTokens: undefined },
		],
		[
			'Azure Responses: -1 and 0 limits say nothing, so their 0 remaining pauses nothing',
			{
				'x-ratelimit-limit-requests': '-1',
				'x-ratelimit-remaining-requests': '0',
				'x-ratelimit-reset-requests': '60s',
				'x-ratelimit-limit-tokens': '0',
				'x-ratelimit-remaining-tokens': '0',
				'x-ratelimit-reset-tokens': '60s',
			},
			{ remainingRequests: undefined, resetRequestsMs: undefined, remainingTokens: undefined },
		],
		[
			'LiteLLM: an integer reset is a Unix time in seconds',
			{
				'x-ratelimit-limit-requests': '60',
				'x-ratelimit-remaining-requests': '0',
				'x-ratelimit-reset-requests': String(now / 1000 + 30),
			},
			{ limitRequests: 60, remainingRequests: 0, resetRequestsMs: 30_000 },
		],
		[
			'LiteLLM: a reset time already past is no wait',
			{
				'x-ratelimit-limit-requests': '60',
				'x-ratelimit-remaining-requests': '0',
				'x-ratelimit-reset-requests': String(now / 1000 - 5),
			},
			{ remainingRequests: 0, resetRequestsMs: undefined },
		],
	];
	for (const [name, headers, expected] of table) {
		const info = readRateLimits(new Headers(headers), now) as Record<string, number | undefined>;
		for (const [field, value] of Object.entries(expected))
			assert.equal(info[field], value, `${name}: ${field}`);
	}
});

test('a 429 without retry-after waits for the limit that ran out, not a longer one with room left', () => {
	const headers = {
		'x-ratelimit-limit-requests': '14400',
		'x-ratelimit-remaining-requests': '14000',
		'x-ratelimit-reset-requests': '2h0m0s',
		'x-ratelimit-limit-tokens': '6000',
		'x-ratelimit-remaining-tokens': '0',
		'x-ratelimit-reset-tokens': '7.5s',
	};
	const error = new RateLimitError(
		429,
		{ message: 'Rate limit reached' },
		undefined,
		new Headers(headers),
	);
	assert.equal(classifyFailure(error).waitMs, 7500);
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
