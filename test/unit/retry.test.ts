import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
	APIConnectionError,
	APIConnectionTimeoutError,
	APIError,
	AuthenticationError,
	BadRequestError,
	InternalServerError,
	RateLimitError,
} from 'openai';
import { attemptTimeoutMs } from '../../src/core/options.ts';
import { backoffDelay } from '../../src/engines/realtime/backoff.ts';
import { classifyFailure } from '../../src/http/failure.ts';
import { MalformedResponseError } from '../../src/http/response.ts';

const apiError = (
	status: number,
	body: Record<string, unknown> = {},
	headers: Record<string, string> = {},
) =>
	APIError.generate(status, { error: { message: 'm', ...body } }, undefined, new Headers(headers));

test('classifyFailure: what is retried, what fails the prompt, what ends the run', () => {
	const table: [string, unknown, string, string | null][] = [
		['400 bad request', apiError(400), 'fail', 'BadRequestError'],
		['401 bad key', apiError(401), 'fatal', 'AuthenticationError'],
		['403 forbidden', apiError(403), 'fatal', null],
		['404 no model', apiError(404), 'fail', null],
		['408 timeout', apiError(408), 'retry', null],
		['409 conflict', apiError(409), 'retry', null],
		['422 unprocessable', apiError(422), 'fail', null],
		['429 rate limit', apiError(429, { code: 'rate_limit_exceeded' }), 'retry', 'RateLimitError'],
		[
			'429 insufficient_quota',
			apiError(429, { code: 'insufficient_quota', type: 'insufficient_quota' }),
			'fatal',
			null,
		],
		['429 billing limit', apiError(429, { code: 'billing_hard_limit_reached' }), 'fatal', null],
		['500', apiError(500), 'retry', 'InternalServerError'],
		['502', apiError(502), 'retry', null],
		['503', apiError(503), 'retry', null],
		['timeout', new APIConnectionTimeoutError(), 'retry', null],
		['dropped connection', new APIConnectionError({ message: 'Connection error.' }), 'retry', null],
		['garbage body', new SyntaxError('Unexpected end of JSON input'), 'retry', null],
		['wrong shape', new MalformedResponseError('response has no "choices"'), 'retry', null],
		['our own bug', new TypeError('x is undefined'), 'fail', null],
	];
	for (const [name, error, verdict, className] of table) {
		assert.equal(classifyFailure(error).verdict, verdict, name);
		if (className)
			assert.equal(
				(error as Error).constructor.name,
				className,
				`${name} is the SDK's ${className}`,
			);
	}
	assert.ok(
		apiError(429) instanceof RateLimitError && apiError(401) instanceof AuthenticationError,
	);
	assert.ok(
		apiError(400) instanceof BadRequestError && apiError(500) instanceof InternalServerError,
	);
});

test('classifyFailure: error fields for the output record, rate-limit flag and the server hint', () => {
	const limited = classifyFailure(
		apiError(429, { code: 'rate_limit_exceeded', type: 'requests' }, { 'retry-after-ms': '250' }),
	);
	assert.deepEqual(limited.error, {
		status: 429,
		type: 'requests',
		code: 'rate_limit_exceeded',
		message: '429 m',
	});
	assert.equal(limited.rateLimited, true);
	assert.equal(limited.waitMs, 250);
	assert.equal(classifyFailure(apiError(503, {}, { 'retry-after': '2' })).waitMs, 2000);
	assert.equal(classifyFailure(apiError(503, {}, { 'retry-after': '2' })).rateLimited, false);
	// Flex with no capacity: retried, but no rate limit to pause the queue for, and not counted.
	for (const body of [
		{ message: 'Resource Unavailable' },
		{ code: 'resource_unavailable' },
		{ type: 'resource_unavailable' },
	]) {
		const unavailable = classifyFailure(apiError(429, body));
		assert.deepEqual(
			[unavailable.verdict, unavailable.unavailable, unavailable.rateLimited],
			['retry', true, false],
			JSON.stringify(body),
		);
	}
	assert.equal(limited.unavailable, false);
	assert.equal(
		classifyFailure(apiError(503, { message: 'Resource Unavailable' })).unavailable,
		false,
	);
	// A 429 without retry-after falls back on the rate-limit reset headers.
	assert.equal(
		classifyFailure(
			apiError(429, {}, { 'x-ratelimit-reset-requests': '1s', 'x-ratelimit-reset-tokens': '6m0s' }),
		).waitMs,
		360_000,
	);
	assert.deepEqual(classifyFailure(new APIConnectionTimeoutError()).error, {
		status: null,
		type: 'timeout',
		code: null,
		message: 'Request timed out.',
	});
});

test('backoffDelay: exponential with equal jitter, capped; a server hint wins and gets a little jitter', () => {
	const low = { random: () => 0 };
	const high = { random: () => 1 };
	assert.deepEqual(
		[1, 2, 3, 4].map((n) => backoffDelay(n, undefined, low)),
		[250, 500, 1000, 2000],
	);
	assert.deepEqual(
		[1, 2, 3, 4].map((n) => backoffDelay(n, undefined, high)),
		[500, 1000, 2000, 4000],
	);
	assert.equal(backoffDelay(20, undefined, high), 30_000);
	assert.equal(backoffDelay(1, 2000, low), 2000);
	assert.equal(backoffDelay(1, 2000, high), 2200);
	assert.equal(backoffDelay(1, 86_400_000, low), 600_000, 'a hint is capped at 10 minutes');
});

test('attemptTimeoutMs: --timeout when given, else 10 minutes, 15 with flex processing', () => {
	const table: [Parameters<typeof attemptTimeoutMs>[0], number][] = [
		[{}, 600_000],
		[{ serviceTier: 'default' }, 600_000],
		[{ serviceTier: 'flex' }, 900_000],
		[{ serviceTier: 'flex', timeoutMs: 5000 }, 5000],
		[{ timeoutMs: 1000 }, 1000],
	];
	for (const [options, expected] of table)
		assert.equal(attemptTimeoutMs(options), expected, JSON.stringify(options));
});
