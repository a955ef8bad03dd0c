import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { jsonLines, prompts, runCli, SECRET_KEY, withFiles } from '../helpers/cli.ts';
import { mockServer } from '../helpers/server.ts';

const fast = ['--poll', '0.02'];

test('--batch: results in input order in every format, from files and stdin, both APIs', {
	timeout: 60_000,
}, async () => {
	const server = await mockServer({ batchStageMs: 20, seed: 5 });
	const dir = withFiles({ 'in.txt': prompts(12) });
	const base = ['--base-url', server.url, '--batch', ...fast, '-q'];
	const jsonl = await runCli([...base, '-f', 'jsonl', '-o', 'out.jsonl', 'in.txt'], { cwd: dir });
	assert.equal(jsonl.code, 0, jsonl.stderr);
	const records = jsonLines(readFileSync(join(dir, 'out.jsonl'), 'utf8'));
	assert.deepEqual(
		records.map((r) => [r.index, r.response, r.attempts]),
		Array.from({ length: 12 }, (_, i) => [i + 1, `prompt ${i + 1}`, 1]),
	);
	assert.ok(records.every((r) => r.batch_id === server.batches[0]?.id));
	assert.equal(server.batches.length, 1);

	const text = await runCli([...base, '-o', 'out.txt', '-'], { cwd: dir, input: 'a\nb\n' });
	assert.equal(readFileSync(join(dir, 'out.txt'), 'utf8'), '[1] a\n[2] b\n', text.stderr);
	const json = await runCli(
		[...base, '--api', 'responses', '-f', 'json', '-o', 'out.json', 'in.txt'],
		{
			cwd: dir,
		},
	);
	assert.equal(json.code, 0, json.stderr);
	const array = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8')) as { response: string }[];
	assert.deepEqual(
		array.map((r) => r.response),
		Array.from({ length: 12 }, (_, i) => `prompt ${i + 1}`),
	);
	for (const run of [jsonl, text, json]) assert.ok(!run.stderr.includes(SECRET_KEY));
});

test('--batch splits by --batch-size and by model: one model per batch', {
	timeout: 60_000,
}, async () => {
	const server = await mockServer({ batchStageMs: 20 });
	const line = (id: string, model: string) =>
		JSON.stringify({
			custom_id: id,
			method: 'POST',
			url: '/v1/chat/completions',
			body: { model, messages: [{ role: 'user', content: id }] },
		});
	const lines = ['a', 'b', 'c', 'd', 'e'].map((id, i) =>
		line(id, i % 2 ? 'model-odd' : 'model-even'),
	);
	const dir = withFiles({ 'in.jsonl': `${lines.join('\n')}\n` });
	const result = await runCli(
		[
			'--base-url',
			server.url,
			'--batch',
			...fast,
			'-q',
			'--batch-size',
			'2',
			'-f',
			'jsonl',
			'-o',
			'out.jsonl',
			'in.jsonl',
		],
		{ cwd: dir },
	);
	assert.equal(result.code, 0, result.stderr);
	// model-even: a, c, e (2 + 1); model-odd: b, d.
	assert.deepEqual(
		server.batches.map((b) => b.metadata?.promptbatch_lines),
		['2', '1', '2'],
	);
	assert.deepEqual(
		jsonLines(readFileSync(join(dir, 'out.jsonl'), 'utf8')).map((r) => [r.id, r.model]),
		[
			['a', 'model-even'],
			['b', 'model-odd'],
			['c', 'model-even'],
			['d', 'model-odd'],
			['e', 'model-even'],
		],
	);
});

test('--batch: 4xx lines are final, 5xx lines and the unfinished lines of an expired batch are resubmitted', {
	timeout: 60_000,
}, async () => {
	const server = await mockServer({ batchStageMs: 20 });
	const input = 'ok 1\nbad [[fault:400]]\nflaky [[fault:500x1]]\nok 2\n';
	const dir = withFiles({ 'in.txt': input, 'expire.txt': `${prompts(5)}late [[batch:expire]]\n` });
	const args = ['--base-url', server.url, '--batch', ...fast, '-q', '-f', 'jsonl'];
	const mixed = await runCli([...args, '-o', 'out.jsonl', 'in.txt'], { cwd: dir });
	assert.equal(mixed.code, 1, mixed.stderr);
	const records = jsonLines(readFileSync(join(dir, 'out.jsonl'), 'utf8'));
	assert.deepEqual(
		records.map((r) => [r.response, r.attempts, (r.error as { status: number } | null)?.status]),
		[
			['ok 1', 1, undefined],
			[null, 1, 400],
			['flaky [[fault:500x1]]', 2, undefined],
			['ok 2', 1, undefined],
		],
	);
	assert.deepEqual(
		server.batches.map((b) => b.metadata?.promptbatch_lines),
		['4', '1'],
		'only the 5xx line went again',
	);

	const before = server.batches.length;
	const expired = await runCli([...args, '-o', 'expired.jsonl', 'expire.txt'], { cwd: dir });
	assert.equal(expired.code, 0, expired.stderr);
	const salvaged = jsonLines(readFileSync(join(dir, 'expired.jsonl'), 'utf8'));
	assert.equal(salvaged.length, 6);
	assert.ok(salvaged.every((r) => r.error === null));
	// Every other line of the expired batch was done (and paid for): kept; the rest went again.
	assert.deepEqual(
		server.batches.slice(before).map((b) => b.metadata?.promptbatch_lines),
		['6', '3'],
	);
	assert.deepEqual(
		salvaged.map((r) => r.attempts),
		[1, 2, 1, 2, 1, 2],
	);
});

test("--batch: a batch that fails validation is exit 3 with the server's reason and the input line", {
	timeout: 60_000,
}, async () => {
	const server = await mockServer({ batchStageMs: 20 });
	const dir = withFiles({ 'in.txt': 'fine\nbroken [[batch:invalid]]\n' });
	const result = await runCli(
		['--base-url', server.url, '--batch', ...fast, '-o', 'out.txt', 'in.txt'],
		{
			cwd: dir,
		},
	);
	assert.equal(result.code, 3, result.stderr);
	assert.match(
		result.stderr,
		/promptbatch: batch \S+ failed validation: \[invalid_value\] Scripted validation failure\. \(in\.txt:2\)/,
	);
});

test('--batch --no-wait: exit 75 while batches run, then the printed command collects them', {
	timeout: 60_000,
}, async () => {
	const server = await mockServer({ batchStageMs: 1000 });
	const dir = withFiles({ 'in.txt': prompts(3) });
	const args = [
		'--base-url',
		server.url,
		'--batch',
		'--no-wait',
		'-f',
		'jsonl',
		'-o',
		'out.jsonl',
		'in.txt',
	];
	const submitted = await runCli(args, { cwd: dir });
	assert.equal(submitted.code, 75, submitted.stderr);
	assert.match(submitted.stderr, /batches are still running on the server/);
	const command = /to finish the run: promptbatch (.*)$/m.exec(submitted.stderr)?.[1];
	assert.ok(command?.endsWith('--resume'), submitted.stderr);

	const refused = await runCli(args, { cwd: dir });
	assert.equal(refused.code, 2, 'starting over would pay again');
	assert.match(refused.stderr, /batch\(es\) are not collected yet .*add --resume to collect them/);

	let collected = await runCli((command as string).split(' '), { cwd: dir });
	for (let i = 0; collected.code === 75 && i < 50; i++) {
		await new Promise((resolve) => setTimeout(resolve, 100));
		collected = await runCli((command as string).split(' '), { cwd: dir });
	}
	assert.equal(collected.code, 0, collected.stderr);
	assert.equal(server.batches.length, 1, 'never submitted twice');
	assert.deepEqual(
		jsonLines(readFileSync(join(dir, 'out.jsonl'), 'utf8')).map((r) => r.response),
		['prompt 1', 'prompt 2', 'prompt 3'],
	);
});

test('--batch refuses realtime-only options; --dry-run --batch prints the lines', async () => {
	const server = await mockServer();
	const realtime = await runCli(['--base-url', server.url, '--batch', '-c', '4', '--rpm', '60'], {
		input: 'x\n',
	});
	assert.equal(realtime.code, 2);
	assert.match(
		realtime.stderr,
		/^promptbatch: -c, --rpm with --batch: the Batch API sets its own pace/,
	);
	const dry = await runCli(['--dry-run', '--batch', '--batch-size', '1'], { input: 'x\ny\n' });
	assert.equal(dry.code, 0);
	assert.deepEqual(
		jsonLines(dry.stdout).map((l) => [l.custom_id, l.method, l.url]),
		[
			['pb-dryrun-1', 'POST', '/v1/chat/completions'],
			['pb-dryrun-2', 'POST', '/v1/chat/completions'],
		],
	);
	assert.match(dry.stderr, /2 batch\(es\), 2 lines, \d+ bytes; nothing was sent/);
	assert.equal(server.batches.length, 0);
});

test('--mock --batch runs the whole journey without a key', { timeout: 30_000 }, async () => {
	const result = await runCli(['--mock', '--batch', ...fast, '-q'], {
		input: 'one\ntwo\n',
		env: { OPENAI_API_KEY: undefined, XDG_STATE_HOME: withFiles({}) },
	});
	assert.equal(result.code, 0, result.stderr);
	assert.equal(result.stdout, '[1] one\n[2] two\n');
});
