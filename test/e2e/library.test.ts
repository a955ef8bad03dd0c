import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { test } from 'node:test';
import { ConfigError, run, UsageError } from '../../src/index.ts';
import { homeEnv, jsonLines, SECRET_KEY } from '../helpers/cli.ts';
import { mockServer } from '../helpers/server.ts';

/** A RunIO of in-memory streams: what was written to stdout and stderr, as text. */
function fakeIO(input: string, env: Record<string, string>, signals = {}) {
	const stdout = new PassThrough();
	const stderr = new PassThrough();
	const text = { stdout: '', stderr: '' };
	stdout.on('data', (chunk) => {
		text.stdout += chunk;
	});
	stderr.on('data', (chunk) => {
		text.stderr += chunk;
	});
	return {
		io: {
			stdin: Readable.from([input]),
			stdout,
			stderr,
			env: { ...homeEnv(), ...env },
			...signals,
		},
		text,
	};
}

test('run() in process: streams and environment come from its arguments, never the globals', async () => {
	const server = await mockServer();
	const { io, text } = fakeIO('one\ntwo [[fault:400]]\nthree\n', {
		OPENAI_API_KEY: SECRET_KEY,
		OPENAI_BASE_URL: server.url,
	});
	const before = process.exitCode;
	const summary = await run({ format: 'jsonl' }, io);
	assert.deepEqual(
		{ ...summary, elapsedMs: 0 },
		{
			end: 'complete',
			error: undefined,
			total: undefined,
			ok: 2,
			failed: 1,
			aborted: 0,
			cached: 0,
			resumed: 0,
			retries: 0,
			// The mock counts characters / 4, rounded up: "one" is 1 token, "three" 2.
			promptTokens: 3,
			completionTokens: 3,
			elapsedMs: 0,
			costUsd: 0.00000225,
			unpriced: 0,
			realtimeCostUsd: 0.00000225,
		},
	);
	assert.ok(summary.elapsedMs > 0);
	const records = jsonLines(text.stdout);
	assert.deepEqual(
		records.map((r) => [r.index, r.response, (r.error as { status: number } | null)?.status]),
		[
			[1, 'one', undefined],
			[2, null, 400],
			[3, 'three', undefined],
		],
	);
	assert.match(text.stderr, /promptbatch: done: 2 ok, 1 failed/);
	assert.equal(server.requests[0]?.headers.authorization, `Bearer ${SECRET_KEY}`);
	assert.equal(process.exitCode, before, 'the library sets no exit code');
});

test('run() resolves, never rejects, for what the user got wrong, and sends nothing', async () => {
	const server = await mockServer();
	const saved = process.env.OPENAI_API_KEY;
	process.env.OPENAI_API_KEY = 'sk-from-process-env';
	try {
		const noKey = fakeIO('x\n', { OPENAI_BASE_URL: 'https://api.example.com/v1' });
		const summary = await run({}, noKey.io);
		assert.equal(summary.end, 'invalid');
		assert.ok(summary.error instanceof ConfigError, 'the key is read from io.env alone');
		assert.equal(summary.error.exitCode, 2);
	} finally {
		if (saved === undefined) delete process.env.OPENAI_API_KEY;
		else process.env.OPENAI_API_KEY = saved;
	}
	const missing = fakeIO('', { OPENAI_API_KEY: SECRET_KEY, OPENAI_BASE_URL: server.url });
	const summary = await run({ files: ['/nonexistent/prompts.txt'] }, missing.io);
	assert.equal(summary.end, 'invalid');
	assert.ok(summary.error instanceof UsageError);
	assert.match(summary.error.message, /cannot read \/nonexistent\/prompts\.txt: no such file/);
	assert.equal(missing.text.stdout, '');
	assert.equal(server.requests.length, 0);
});

test('run() stops at its interrupt signal and says so in the summary', async () => {
	const server = await mockServer();
	const interrupt = new AbortController();
	interrupt.abort();
	const { io, text } = fakeIO(
		'a\nb\n',
		{ OPENAI_API_KEY: SECRET_KEY, OPENAI_BASE_URL: server.url },
		{ interrupt: interrupt.signal },
	);
	const summary = await run({ quiet: true }, io);
	assert.equal(summary.end, 'interrupted');
	assert.equal(summary.ok + summary.failed, 0);
	assert.equal(text.stdout, '');
	assert.equal(server.requests.length, 0);
});
