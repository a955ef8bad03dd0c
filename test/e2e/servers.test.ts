import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ErrorShape } from '../../src/mock/server.ts';
import { jsonLines, prompts, runCli } from '../helpers/cli.ts';
import { mockServer } from '../helpers/server.ts';

test('a server that streams unless told not to gets "stream": false, on both APIs', async () => {
	const server = await mockServer({ streams: 'unless-told' });
	for (const api of ['chat', 'responses']) {
		const result = await runCli(['--base-url', server.url, '-q', '--api', api], { input: 'hi\n' });
		assert.equal(result.code, 0, `${api}: ${result.stderr}`);
		assert.equal(result.stdout, '[1] hi\n');
	}
	assert.ok(server.requests.every((r) => r.body.stream === false));
});

test('on a local server (reads max_tokens only, streams unless told, no key), --max-tokens bounds every answer', async () => {
	const server = await mockServer({ profile: 'local' });
	const long = 'a long prompt that the mock echoes back '.repeat(10);
	for (const api of ['chat', 'responses']) {
		const result = await runCli(
			['--base-url', server.url, '-q', '-f', 'jsonl', '--max-tokens', '8', '--api', api],
			{ input: `${long}\n`, env: { OPENAI_API_KEY: undefined } },
		);
		assert.equal(result.code, 0, `${api}: ${result.stderr}`);
		if (api === 'chat') {
			const [record] = jsonLines(result.stdout);
			assert.equal(record?.response, long.slice(0, 32));
			assert.equal(record?.finish_reason, 'length');
			assert.deepEqual(record?.usage, {
				prompt_tokens: 100,
				completion_tokens: 8,
				total_tokens: 108,
			});
		}
	}
	assert.ok(server.requests.every((r) => r.body.stream === false));
	assert.ok(server.requests.every((r) => r.headers.authorization === undefined));
});

test("rate-limit headers that mean something else (Azure's -1 and 0, Groq's per-day) neither pause nor pace the run", async () => {
	const azure = await mockServer({
		headers: {
			'x-ratelimit-limit-requests': '-1',
			'x-ratelimit-remaining-requests': '0',
			'x-ratelimit-reset-requests': '60s',
			'x-ratelimit-limit-tokens': '0',
			'x-ratelimit-remaining-tokens': '0',
			'x-ratelimit-reset-tokens': '60s',
		},
	});
	// One of two used and back in 12 hours is a daily limit: taken as 2 a minute, it would space
	// the requests 30 s apart.
	const groq = await mockServer({
		headers: {
			'x-ratelimit-limit-requests': '2',
			'x-ratelimit-remaining-requests': '1',
			'x-ratelimit-reset-requests': '12h0m0s',
		},
	});
	for (const server of [azure, groq]) {
		const result = await runCli(['--base-url', server.url, '-c', '2', '--verbose'], {
			input: prompts(6),
		});
		assert.equal(result.code, 0, result.stderr);
		assert.doesNotMatch(result.stderr, /wait|paus|reset/i);
		const first = server.requests[0]?.at ?? 0;
		const last = server.requests.at(-1)?.at ?? 0;
		assert.ok(last - first < 5000, `requests spread over ${Math.round(last - first)} ms`);
	}
});

test('a server that streams whatever it is told is a clear failure, never retried, and stops the run', async () => {
	const server = await mockServer({ streams: 'always' });
	const result = await runCli(['--base-url', server.url, '-c', '1', '-f', 'jsonl'], {
		input: prompts(20),
	});
	assert.equal(result.code, 3, result.stderr);
	assert.match(
		result.stderr,
		/answered with an event stream \(text\/event-stream\) although the request said "stream": false/,
	);
	assert.equal(server.requests.length, 5, 'one attempt each, and the run stops at the fifth alike');
	const records = jsonLines(result.stdout);
	assert.ok(records.every((r) => r.attempts === 1));
});

test("error bodies in other servers' shapes give their message", async () => {
	for (const shape of ['detail', 'vllm', 'array', 'text'] as ErrorShape[]) {
		const server = await mockServer({ errorShape: shape });
		const result = await runCli(['--base-url', server.url, '-q', '-f', 'jsonl'], {
			input: 'fine\nbad [[fault:400]]\n',
		});
		assert.equal(result.code, 1, `${shape}: ${result.stderr}`);
		const error = jsonLines(result.stdout)[1]?.error as { status: number; message: string };
		assert.equal(error.status, 400, shape);
		assert.match(error.message, /Invalid request \(scripted\)\./, shape);
	}
});

test('402 (insufficient balance, as DeepSeek and OpenRouter say it) ends the run like an exhausted quota', async () => {
	const server = await mockServer();
	const result = await runCli(['--base-url', server.url, '-c', '1'], {
		input: `first [[fault:402]]\n${prompts(10)}`,
	});
	assert.equal(result.code, 3, result.stderr);
	assert.match(result.stderr, /quota or billing exhausted: 402 .*Insufficient Balance/);
	assert.equal(server.requests.length, 1);
});
