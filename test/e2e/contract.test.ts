import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { jsonLines, ROOT, runCli, withFiles } from '../helpers/cli.ts';
import { freePort } from '../helpers/server.ts';

// OpenAI's spec (github.com/openai/openai-openapi) is not part of the repository: it is read
// from $OPENAI_OPENAPI_SPEC, else from a copy beside the clone.
const SPEC =
	process.env.OPENAI_OPENAPI_SPEC || join(ROOT, '..', 'shared', 'openai-openapi', 'openapi.yaml');
const STEADY = join(ROOT, 'node_modules', '.bin', 'steady');
const skip = !existsSync(SPEC)
	? `no copy of OpenAI's OpenAPI spec at ${SPEC}: set OPENAI_OPENAPI_SPEC to the openapi.yaml of github.com/openai/openai-openapi`
	: !existsSync(STEADY)
		? 'steady (@stdy/cli) is not installed'
		: false;

let steady: ChildProcess | undefined;
let baseUrl = '';

async function answers(port: number): Promise<boolean> {
	try {
		await fetch(`http://127.0.0.1:${port}/models`);
		return true;
	} catch {
		return false;
	}
}

before(async () => {
	if (skip) return;
	// steady prints port 0 when given 0, so we pick a free port ourselves.
	const port = await freePort();
	steady = spawn(
		STEADY,
		['-p', String(port), '--host', '127.0.0.1', '-q', '--log-format', 'text', SPEC],
		{
			stdio: ['ignore', 'pipe', 'pipe'],
		},
	);
	let log = '';
	steady.stdout?.on('data', (chunk: Buffer) => {
		log += chunk;
	});
	steady.stderr?.on('data', (chunk: Buffer) => {
		log += chunk;
	});
	// Its log format changes under CI=true, so wait for the port to answer, not for a log line.
	const deadline = Date.now() + 30_000;
	for (;;) {
		if (steady.exitCode !== null) throw new Error(`steady exited with ${steady.exitCode}:\n${log}`);
		if (await answers(port)) break;
		if (Date.now() > deadline) throw new Error(`steady did not start in 30 s:\n${log}`);
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
	// The spec's server is https://api.openai.com/v1, so steady serves its paths at the root.
	baseUrl = `http://127.0.0.1:${port}`;
});

after(() => {
	steady?.kill();
});

/** Runs the CLI against steady and asserts that every request passed the spec's validation. */
async function assertValid(
	args: string[],
	options: { input?: string; cwd?: string },
	count: number,
) {
	const result = await runCli(
		['--base-url', baseUrl, '-q', '-f', 'jsonl', '--retries', '0', ...args],
		options,
	);
	const records = jsonLines(result.stdout);
	for (const record of records)
		assert.equal(record.error, null, `rejected by the spec: ${JSON.stringify(record.error)}`);
	assert.equal(records.length, count);
	assert.equal(result.code, 0, result.stderr);
}

test('Chat Completions requests, with every shaping option, are valid against the official spec', {
	skip,
}, async () => {
	await assertValid(
		[
			'-s',
			'You are terse.',
			'-t',
			'Answer: {{input}}',
			'--temperature',
			'0.3',
			'--max-tokens',
			'20',
			'--json',
			'-p',
			'seed=7',
			'-p',
			'top_p=0.9',
			'--service-tier',
			'flex',
		],
		{ input: 'What is 2+2? Reply in JSON.\nName a colour, in JSON.\n' },
		2,
	);
});

test('Responses API requests are valid against the official spec', { skip }, async () => {
	await assertValid(
		[
			'--api',
			'responses',
			'-s',
			'Be brief.',
			'--max-tokens',
			'16',
			'--temperature',
			'1',
			'--json',
			'--service-tier',
			'priority',
		],
		{ input: 'Say hi in JSON.\n' },
		1,
	);
});

test('chat records and Batch API lines are valid against the official spec', { skip }, async () => {
	const lines = [
		'{"id": "m1", "messages": [{"role": "developer", "content": "Be kind."}, {"role": "user", "content": "Hello"}]}',
		'{"custom_id": "b1", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "2+2?"}], "max_completion_tokens": 5}}',
		'{"custom_id": "b2", "method": "POST", "url": "/v1/responses", "body": {"model": "gpt-4o-mini", "input": "2+2?", "max_output_tokens": 16}}',
	];
	await assertValid(['in.jsonl'], { cwd: withFiles({ 'in.jsonl': `${lines.join('\n')}\n` }) }, 3);
});

test('a request that breaks the spec is caught (so the tests above can fail)', {
	skip,
}, async () => {
	const result = await runCli(
		['--base-url', baseUrl, '-q', '-f', 'jsonl', '--retries', '0', '-p', 'temperature="hot"'],
		{ input: 'x\n' },
	);
	assert.equal(result.code, 1);
	const [record] = jsonLines(result.stdout);
	assert.equal((record?.error as { status: number } | undefined)?.status, 400);
});

test('a batch upload (streamed multipart, through our real client) and its creation are valid against the official spec', {
	skip,
}, async () => {
	const { createBatchApi } = await import('../../src/http/batch-api.ts');
	const api = createBatchApi(
		{ apiKey: 'sk-contract', baseURL: baseUrl, organization: undefined, project: undefined },
		{ timeoutMs: 30_000, env: {}, log: () => {} },
	);
	const dir = withFiles({
		'shard.jsonl': `${JSON.stringify({ custom_id: 'pb-x-1', method: 'POST', url: '/v1/chat/completions', body: { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] } })}\n`,
	});
	const fileId = await api.upload(join(dir, 'shard.jsonl'));
	assert.equal(typeof fileId, 'string');
	const batch = await api.create(fileId, '/v1/chat/completions', {
		promptbatch_run: 'x',
		promptbatch_shard: 'abc',
		promptbatch_lines: '1',
	});
	assert.equal(typeof batch.id, 'string');
	// And one that breaks it is caught: steady answers 400 for an endpoint the spec lacks.
	await assert.rejects(api.create(fileId, '/v1/no-such-endpoint', {}), /400/);
});
