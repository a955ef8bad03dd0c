import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonLines, prompts, runCli } from '../helpers/cli.ts';
import { freePort, mockServer } from '../helpers/server.ts';

test('every request failing alike stops the run early with exit 3 and names the cause', {
	timeout: 60_000,
}, async () => {
	const server = await mockServer();
	const wrongPath = await runCli(['--base-url', `${server.url}/oops`, '-c', '2'], {
		input: prompts(200),
	});
	assert.equal(wrongPath.code, 3, wrongPath.stderr);
	assert.match(
		wrongPath.stderr,
		/promptbatch: the first 5 requests to http:\/\/127\.0\.0\.1:\d+\/v1\/oops\/chat\/completions all failed alike, and none succeeded: 404 .*\(check --base-url: an OpenAI-compatible one usually ends in \/v1\)/,
	);
	assert.ok(server.requests.length < 10, `${server.requests.length} sent`);

	const model = await runCli(['--base-url', server.url, '-c', '2'], {
		input: prompts(50, (i) => `p${i} [[fault:404]]`),
	});
	assert.equal(model.code, 3);
	assert.match(model.stderr, /404 invalid_request_error \[model_not_found\].*\(check -m/);

	const port = await freePort();
	const refused = await runCli(['--base-url', `http://127.0.0.1:${port}/v1`], {
		input: prompts(2000),
	});
	assert.equal(refused.code, 3);
	assert.match(
		refused.stderr,
		new RegExp(
			`connection_error \\[ECONNREFUSED\\]: connection refused by 127\\.0\\.0\\.1:${port}: nothing listens there \\(check --base-url`,
		),
	);

	const tls = await runCli(['--base-url', server.url.replace('http:', 'https:')], {
		input: prompts(20),
	});
	assert.equal(tls.code, 3);
	assert.match(tls.stderr, /TLS with 127\.0\.0\.1:\d+ failed: wrong version number/);
});

test('failures after a success, or of prompts of their own, never stop the run', async () => {
	const server = await mockServer();
	const mixed = await runCli(['--base-url', server.url, '-c', '1', '-q'], {
		input: `fine\n${prompts(8, (i) => `bad ${i} [[fault:404]]`)}`,
	});
	assert.equal(mixed.code, 1, mixed.stderr);
	assert.equal(mixed.stdout.split('\n').filter(Boolean).length, 9);
});

test('a connection dropped after the status, or a 200 with no choices, is a failed attempt, retried', async () => {
	const server = await mockServer();
	const result = await runCli(['--base-url', server.url, '-q', '-f', 'jsonl', '--retries', '2'], {
		input: 'cut [[fault:cutx1]]\nempty [[fault:emptyx1]]\nnever [[fault:empty]]\n',
	});
	const records = jsonLines(result.stdout);
	assert.deepEqual(
		records.map((r) => [r.response, r.attempts, (r.error as { type: string } | null)?.type]),
		[
			['cut [[fault:cutx1]]', 2, undefined],
			['empty [[fault:emptyx1]]', 2, undefined],
			[null, 3, 'invalid_response'],
		],
	);
	assert.equal(result.code, 1);
});

test('retry-after: 0 does not burn the retries in milliseconds', async () => {
	const server = await mockServer({ retryAfterMs: 0 });
	const result = await runCli(['--base-url', server.url, '-q', '--retries', '2'], {
		input: 'x [[fault:500]]\n',
	});
	assert.equal(result.code, 1);
	const times = server.requests.map((r) => r.at);
	assert.equal(times.length, 3);
	for (let i = 1; i < times.length; i++) {
		const gap = (times[i] as number) - (times[i - 1] as number);
		assert.ok(gap >= 200, `attempt ${i + 1} came ${gap.toFixed(0)} ms after the one before`);
	}
});

test('an absurd rate-limit reset is said once and bounded, never a flood of warnings', {
	timeout: 30_000,
}, async () => {
	const server = await mockServer({
		headers: { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '720h' },
	});
	const result = await runCli(['--base-url', server.url, '-c', '1'], {
		input: prompts(3),
		onSpawn: (child) => {
			// Once the first answer has set the pause, give the run a moment to show it is held.
			const poll = setInterval(() => {
				if (server.requests.length === 0) return;
				clearInterval(poll);
				setTimeout(() => child.kill('SIGTERM'), 500);
			}, 5);
			child.on('close', () => clearInterval(poll));
		},
	});
	assert.equal(result.code, 143, result.stderr);
	assert.doesNotMatch(result.stderr, /TimeoutOverflowWarning/);
	assert.equal(
		result.stderr.match(
			/warning: the server asked to pause for 30d \(x-ratelimit-reset-requests\); pausing 10m at most/g,
		)?.length,
		1,
		result.stderr,
	);
	assert.equal(server.requests.length, 1, 'the pause holds the other prompts back');
});
