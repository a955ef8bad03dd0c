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
