import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BIN, homeEnv, jsonLines, prompts, runCli, SECRET_KEY, withFiles } from '../helpers/cli.ts';
import { mockServer } from '../helpers/server.ts';

const N = 40;

test('text output is numbered and in input order whatever order answers come back in', async () => {
	const server = await mockServer();
	// Within each batch of 8 in flight, earlier prompts answer later: completion order is reversed.
	const make = (i: number) => `prompt ${i} [[delay:${(8 - (i % 8)) * 15}]]`;
	const result = await runCli(['--base-url', server.url, '-c', '8', '-q'], {
		input: prompts(N, make),
	});
	assert.equal(result.code, 0, result.stderr);
	const expected = Array.from({ length: N }, (_, i) => `[${i + 1}] ${make(i + 1)}`).join('\n');
	assert.equal(result.stdout, `${expected}\n`);
	assert.equal(result.stderr, '');
});

test('jsonl output: one object a prompt, in order, with the documented fields', async () => {
	const server = await mockServer({ latencyMs: [0, 60], seed: 3 });
	const result = await runCli(['--base-url', server.url, '-f', 'jsonl', '-q', '-m', 'gpt-test'], {
		input: prompts(N),
	});
	assert.equal(result.code, 0, result.stderr);
	const records = jsonLines(result.stdout);
	assert.deepEqual(
		records.map((r) => r.index),
		Array.from({ length: N }, (_, i) => i + 1),
	);
	const first = records[0] as Record<string, unknown>;
	assert.deepEqual(Object.keys(first).sort(), [
		'attempts',
		'batch_id',
		'cached',
		'cost_usd',
		'error',
		'file',
		'finish_reason',
		'id',
		'index',
		'input',
		'latency_ms',
		'line',
		'model',
		'response',
		'service_tier',
		'usage',
	]);
	assert.equal(first.id, 1);
	assert.equal(first.batch_id, null);
	assert.equal(first.input, 'prompt 1');
	assert.equal(first.response, 'prompt 1');
	assert.equal(first.error, null);
	assert.equal(first.model, 'gpt-test');
	assert.equal(first.finish_reason, 'stop');
	assert.equal(first.attempts, 1);
	assert.equal(first.cached, false);
	assert.equal(first.file, '-');
	assert.equal(first.line, 1);
	assert.deepEqual(first.usage, { prompt_tokens: 2, completion_tokens: 2, total_tokens: 4 });
	assert.equal(typeof first.latency_ms, 'number');
});

test('json output is one array in input order', async () => {
	const server = await mockServer({ latencyMs: [0, 60], seed: 5 });
	const result = await runCli(['--base-url', server.url, '-f', 'json', '-q'], {
		input: prompts(N),
	});
	assert.equal(result.code, 0, result.stderr);
	const records = JSON.parse(result.stdout) as { index: number; response: string }[];
	assert.equal(records.length, N);
	records.forEach((record, i) => {
		assert.equal(record.index, i + 1);
		assert.equal(record.response, `prompt ${i + 1}`);
	});
});

test('files and stdin are read in the order given, numbered across all of them, blank lines skipped', async () => {
	const server = await mockServer();
	const dir = withFiles({ 'a.txt': 'a1\n\na2\n', 'b.txt': 'b1\r\nb2' });
	const result = await runCli(
		['--base-url', server.url, '-f', 'jsonl', '-q', 'a.txt', '-', 'b.txt'],
		{ cwd: dir, input: 's1\n' },
	);
	assert.equal(result.code, 0, result.stderr);
	const records = jsonLines(result.stdout);
	assert.deepEqual(
		records.map((r) => [r.index, r.file, r.line, r.response]),
		[
			[1, 'a.txt', 1, 'a1'],
			[2, 'a.txt', 3, 'a2'],
			[3, '-', 1, 's1'],
			[4, 'b.txt', 1, 'b1'],
			[5, 'b.txt', 2, 'b2'],
		],
	);
});

test('in text output only a record starts with [N]: continuation lines are indented; jsonl stays exact', async () => {
	const server = await mockServer();
	const input = 'two lines\n[2] looks like a record\0second\0';
	const text = await runCli(['--base-url', server.url, '--input-format', 'nul', '-q'], { input });
	assert.equal(text.code, 0, text.stderr);
	assert.equal(text.stdout, '[1] two lines\n    [2] looks like a record\n[2] second\n');
	assert.deepEqual(text.stdout.split('\n').filter((line) => /^\[\d+\] /.test(line)).length, 2);
	const jsonl = await runCli(
		['--base-url', server.url, '--input-format', 'nul', '-q', '-f', 'jsonl'],
		{
			input,
		},
	);
	assert.equal(jsonLines(jsonl.stdout)[0]?.response, 'two lines\n[2] looks like a record');
});

test('NUL-separated input keeps multi-line prompts whole', async () => {
	const server = await mockServer();
	const result = await runCli(
		['--base-url', server.url, '--input-format', 'nul', '-f', 'jsonl', '-q'],
		{
			input: 'first\nprompt\0second\0',
		},
	);
	assert.equal(result.code, 0, result.stderr);
	assert.deepEqual(
		jsonLines(result.stdout).map((r) => [r.index, r.line, r.response]),
		[
			[1, 1, 'first\nprompt'],
			[2, 2, 'second'],
		],
	);
});

test('-o writes results to a file and leaves stdout empty', async () => {
	const server = await mockServer();
	const dir = withFiles({});
	const result = await runCli(['--base-url', server.url, '-o', 'out.txt', '-q'], {
		cwd: dir,
		input: 'x\ny\n',
	});
	assert.equal(result.code, 0, result.stderr);
	assert.equal(result.stdout, '');
	assert.equal(readFileSync(join(dir, 'out.txt'), 'utf8'), '[1] x\n[2] y\n');
});

test('empty input: no requests, valid empty output in every format, exit 0', async () => {
	const server = await mockServer();
	for (const [format, expected] of [
		['text', ''],
		['jsonl', ''],
		['json', '[]\n'],
	] as const) {
		const result = await runCli(['--base-url', server.url, '-f', format, '-q'], {
			input: '\n  \n',
		});
		assert.equal(result.code, 0, result.stderr);
		assert.equal(result.stdout, expected, format);
	}
	assert.equal(server.requests.length, 0);
});

test('a summary goes to stderr, never stdout; off a terminal there is no spinner', async () => {
	const server = await mockServer();
	const result = await runCli(['--base-url', server.url], { input: 'one\ntwo\n' });
	assert.equal(result.code, 0);
	assert.equal(result.stdout, '[1] one\n[2] two\n');
	assert.match(
		result.stderr,
		/^promptbatch: starting: .*\npromptbatch: done: 2 ok, 0 failed, 0 retries, .* tokens .*req\/s, \$[\d.]+ spent\n$/,
	);
	assert.doesNotMatch(result.stderr, /\u001b\[/, 'no colour or cursor codes off a TTY');
});

test('--mock runs the whole pipeline with no key and no server', async () => {
	const result = await runCli(['--mock', '-q'], {
		input: 'hello\nworld\n',
		env: { OPENAI_API_KEY: undefined },
	});
	assert.equal(result.code, 0, result.stderr);
	assert.equal(result.stdout, '[1] hello\n[2] world\n');
});

test('a reader that goes away (| head) ends the run quietly with 141, sending no more', {
	timeout: 60_000,
}, async () => {
	const server = await mockServer({ latencyMs: [5, 5] });
	const child = spawn(process.execPath, [BIN, '--base-url', server.url, '-c', '2'], {
		env: { PATH: process.env.PATH ?? '', ...homeEnv(), OPENAI_API_KEY: SECRET_KEY },
		stdio: ['pipe', 'pipe', 'pipe'],
	});
	let stderr = '';
	child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
		stderr += chunk;
	});
	child.stdin.end(prompts(2000));
	child.stdout.once('data', () => child.stdout.destroy());
	const [code] = (await once(child, 'close')) as [number | null];
	assert.equal(code, 141, stderr);
	assert.doesNotMatch(stderr, /internal error|Error:|at /);
	assert.ok(server.requests.length < 2000, `stopped sending (${server.requests.length} sent)`);
});
