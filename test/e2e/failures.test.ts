import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonLines, prompts, runCli, SECRET_KEY } from '../helpers/cli.ts';
import { mockServer } from '../helpers/server.ts';

test('under 5xx, 429s, dropped connections and garbage bodies every record is delivered exactly once', async () => {
	const server = await mockServer({
		faultRate: 0.35,
		faults: ['500', '503', '429', 'drop', 'garbage'],
		seed: 11,
		latencyMs: [0, 20],
	});
	const result = await runCli(
		['--base-url', server.url, '-c', '6', '--retries', '12', '-f', 'jsonl', '--verbose'],
		{ input: prompts(60) },
	);
	assert.equal(result.code, 0, result.stderr);
	const records = jsonLines(result.stdout);
	assert.deepEqual(
		records.map((r) => [r.index, r.response, r.error]),
		Array.from({ length: 60 }, (_, i) => [i + 1, `prompt ${i + 1}`, null]),
	);
	// Every attempt the server saw is counted in exactly one record, and the faults really happened.
	const attempts = records.reduce((sum, r) => sum + (r.attempts as number), 0);
	assert.equal(attempts, server.requests.length);
	const faults = new Set(server.requests.map((r) => r.outcome).filter((o) => o !== 'ok'));
	assert.deepEqual([...faults].sort(), ['429', '500', '503', 'drop', 'garbage']);
	assert.match(result.stderr, /\[\d+\] attempt 1 of 13 failed: connection_error/);
	assert.match(result.stderr, /invalid_response: unparseable response body/);
	assert.match(result.stderr, new RegExp(`done: 60 ok, 0 failed, ${attempts - 60} retries`));
});

test('a 400 is not retried: its record says why and the exit code is 1', async () => {
	const server = await mockServer();
	const result = await runCli(['--base-url', server.url, '-q', '-f', 'jsonl'], {
		input: 'fine\nbroken [[fault:400]]\nalso fine\n',
	});
	assert.equal(result.code, 1);
	const records = jsonLines(result.stdout);
	assert.equal(records.length, 3);
	assert.deepEqual(records[1]?.error, {
		status: 400,
		type: 'invalid_request_error',
		code: 'invalid_value',
		message: '400 Invalid request (scripted).',
	});
	assert.equal(records[1]?.response, null);
	assert.equal(records[1]?.attempts, 1);
	assert.equal(server.requests.filter((r) => r.prompt.startsWith('broken')).length, 1);
});

test('a failed prompt in text output reads [N] ERROR: and the others still print', async () => {
	const server = await mockServer();
	const result = await runCli(['--base-url', server.url, '-q', '--retries', '1'], {
		input: 'a\nb [[fault:500]]\nc\n',
	});
	assert.equal(result.code, 1);
	assert.equal(
		result.stdout,
		'[1] a\n[2] ERROR: 500 The server had an error while processing your request.\n[3] c\n',
	);
	assert.equal(server.requests.filter((r) => r.prompt.startsWith('b ')).length, 2);
});

test('a request that hangs times out after --timeout and is retried', async () => {
	const server = await mockServer();
	const result = await runCli(
		['--base-url', server.url, '-q', '-f', 'jsonl', '--timeout', '0.3', '--retries', '1'],
		{
			input: 'slow once [[fault:hangx1]]\nslow always [[fault:hang]]\n',
		},
	);
	assert.equal(result.code, 1);
	const [once, always] = jsonLines(result.stdout);
	assert.equal(once?.response, 'slow once [[fault:hangx1]]');
	assert.equal(once?.attempts, 2);
	assert.equal((always?.error as { type: string } | undefined)?.type, 'timeout');
	assert.equal(always?.attempts, 2);
});

test('a rejected key ends the run with exit 3, stops dispatching, and never shows the key', async () => {
	const server = await mockServer({ apiKey: 'the-right-key', latencyMs: [10, 10] });
	const result = await runCli(['--base-url', server.url, '-c', '2', '--verbose', '-f', 'jsonl'], {
		input: prompts(50),
	});
	assert.equal(result.code, 3);
	assert.match(
		result.stderr,
		/promptbatch: authentication rejected: 401 invalid_request_error \[invalid_api_key\]: Incorrect API key provided: \[redacted\]\. \(check OPENAI_API_KEY\)/,
	);
	assert.ok(server.requests.length <= 4, `sent ${server.requests.length} after a 401`);
	// The mock echoes the key it got in its error message, as some servers do: it must not reach us.
	assert.ok(!result.stdout.includes(SECRET_KEY) && !result.stderr.includes(SECRET_KEY));
	const records = jsonLines(result.stdout);
	assert.ok(records.length >= 1 && records.length <= 4);
	assert.ok(records.every((r) => r.error !== null));
});

test('quota exhaustion (429 insufficient_quota) is not a rate limit: the run ends with exit 3', async () => {
	const server = await mockServer({ latencyMs: [10, 10] });
	const input = prompts(40, (i) => (i === 1 ? 'broke [[fault:quota]]' : `p${i}`));
	const result = await runCli(['--base-url', server.url, '-c', '1', '-q'], { input });
	assert.equal(result.code, 3);
	assert.match(result.stderr, /^promptbatch: quota or billing exhausted: 429 insufficient_quota/m);
	assert.equal(server.requests.length, 1);
	assert.match(result.stdout, /^\[1\] ERROR: 429 You exceeded your current quota/);
});

test('the key appears nowhere: not in results, logs, SDK debug logs or errors', async () => {
	const server = await mockServer();
	const result = await runCli(['--base-url', server.url, '--verbose', '-f', 'jsonl'], {
		input: 'a [[fault:500x1]]\nb [[fault:400]]\n',
		env: { OPENAI_LOG: 'debug' },
	});
	assert.equal(result.code, 1);
	assert.match(result.stderr, /retrying/);
	assert.match(result.stderr, /\[log_\w+\] sending request/, 'the SDK debug log went to stderr');
	assert.ok(!result.stdout.includes(SECRET_KEY), 'stdout');
	assert.ok(!result.stderr.includes(SECRET_KEY), 'stderr');
	assert.equal(
		jsonLines(result.stdout).length,
		2,
		'stdout carries the results only, not the SDK log',
	);
});

test('Ctrl-C stops the run: completed results are flushed in order and the exit code is 130', async () => {
	const server = await mockServer();
	const input = prompts(20, (i) => (i <= 3 ? `quick ${i}` : `slow ${i} [[fault:hang]]`));
	const result = await runCli(['--base-url', server.url, '-c', '4', '-f', 'jsonl'], {
		input,
		onSpawn: (child) => {
			const poll = setInterval(() => {
				if (server.requests.length >= 6) {
					clearInterval(poll);
					child.kill('SIGINT');
				}
			}, 20);
		},
	});
	assert.equal(result.code, 130);
	assert.match(result.stderr, /promptbatch: SIGINT: stopping/);
	const records = jsonLines(result.stdout);
	assert.deepEqual(
		records.slice(0, 3).map((r) => r.response),
		['quick 1', 'quick 2', 'quick 3'],
	);
	assert.ok(records.slice(3).every((r) => (r.error as { type: string }).type === 'aborted'));
	assert.deepEqual(
		records.map((r) => r.index),
		records.map((_, i) => i + 1),
	);
});

test('the direct transport and the SDK (OPENAI_LOG) give the same records, errors included', async () => {
	// Answered at last (after faults that are retried), then failed for good.
	const answered = [
		'fine',
		'flaky [[fault:500x2]]',
		'limited [[fault:429x1]]',
		'dropped [[fault:dropx1]]',
		'garbage [[fault:garbagex1]]',
		'cut [[fault:cutx1]]',
		'empty [[fault:emptyx1]]',
	];
	const input = [
		...answered,
		'refused [[fault:400]]',
		'missing [[fault:404]]',
		'down [[fault:503]]',
	].join('\n');
	const records = async (env: Record<string, string>) => {
		const server = await mockServer();
		const result = await runCli(['--base-url', server.url, '-f', 'jsonl', '--retries', '2'], {
			input,
			env,
		});
		assert.equal(result.code, 1, result.stderr);
		return jsonLines(result.stdout).map(({ latency_ms, ...rest }) => rest);
	};
	const direct = await records({});
	const sdk = await records({ OPENAI_LOG: 'error' });
	assert.deepEqual(direct, sdk);
	assert.deepEqual(
		direct.map((r) => (r.error as { status: number } | null)?.status ?? r.response),
		[...answered, 400, 404, 503],
	);
});

test('an answer that never ends is refused past 256 MB, not read until memory runs out', {
	timeout: 60_000,
}, async () => {
	const server = await mockServer();
	const result = await runCli(['--base-url', server.url, '-q', '-f', 'jsonl'], {
		input: 'fine\nflood [[fault:endless]]\n',
	});
	assert.equal(result.code, 1, result.stderr);
	const [fine, flood] = jsonLines(result.stdout);
	assert.equal(fine?.response, 'fine');
	assert.deepEqual(flood?.error, {
		status: null,
		type: 'response_too_large',
		code: null,
		message: `${new URL(server.url).host} sent an answer larger than 256 MB: refused, as a server that never stops sending would fill memory`,
	});
	assert.equal(flood?.attempts, 1, 'another attempt would meet the same');
});

test('an answer that comes a byte at a time times out after --timeout: the whole body comes in time', async () => {
	const server = await mockServer();
	const result = await runCli(
		['--base-url', server.url, '-q', '-f', 'jsonl', '--timeout', '0.3', '--retries', '1'],
		{ input: 'drip [[fault:trickle]]\n' },
	);
	assert.equal(result.code, 1, result.stderr);
	const [drip] = jsonLines(result.stdout);
	assert.equal((drip?.error as { type: string } | undefined)?.type, 'timeout');
	assert.equal(drip?.attempts, 2);
});
