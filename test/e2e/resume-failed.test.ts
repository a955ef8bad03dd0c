import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { cacheSql, jsonLines, prompts, runCli, withFiles } from '../helpers/cli.ts';
import { mockServer } from '../helpers/server.ts';

test('after --halt on permanent failures, the printed command finishes the run; --resume-failed resends them', {
	timeout: 60_000,
}, async () => {
	const server = await mockServer();
	const input = prompts(10, (i) => (i === 2 || i === 3 ? `bad ${i} [[fault:400]]` : `p${i}`));
	const dir = withFiles({ 'in.txt': input });
	const args = [
		'--base-url',
		server.url,
		'-c',
		'1',
		'-f',
		'jsonl',
		'--halt',
		'soon,fail=2',
		'-o',
		'out.jsonl',
		'in.txt',
	];
	const halted = await runCli(args, { cwd: dir });
	assert.equal(halted.code, 1, halted.stderr);
	const hint = /to finish the run: promptbatch (.*)$/m.exec(halted.stderr)?.[1];
	assert.ok(hint?.endsWith('--resume'), halted.stderr);
	assert.equal(server.requests.length, 3);

	const resumed = await runCli((hint as string).split(' '), { cwd: dir });
	assert.equal(resumed.code, 1, 'the two failures are still failures');
	assert.doesNotMatch(resumed.stderr, /halted/);
	assert.equal(server.requests.length, 10, 'only the seven never sent went out');
	const records = jsonLines(readFileSync(join(dir, 'out.jsonl'), 'utf8'));
	assert.deepEqual(
		records.map((r) => r.index),
		[1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
	);
	assert.equal(records.filter((r) => r.error).length, 2);

	const again = await runCli(
		[...args.filter((a) => a !== '--halt' && a !== 'soon,fail=2'), '--resume-failed'],
		{
			cwd: dir,
		},
	);
	assert.equal(again.code, 1);
	assert.deepEqual(
		server.requests.slice(10).map((r) => r.prompt),
		['bad 2 [[fault:400]]', 'bad 3 [[fault:400]]'],
	);
});

test('--resume takes id, file and line from the input as it is now; another --base-url is refused', {
	timeout: 60_000,
}, async () => {
	const server = await mockServer();
	const dir = withFiles({ 'in.txt': 'a\nb\n' });
	const args = ['--base-url', server.url, '-q', '-f', 'jsonl', '-o', 'out.jsonl', 'in.txt'];
	assert.equal((await runCli(args, { cwd: dir })).code, 0);
	writeFileSync(join(dir, 'in.txt'), '\n\na\nb\n');
	const resumed = await runCli([...args, '--resume'], { cwd: dir });
	assert.equal(resumed.code, 0, resumed.stderr);
	assert.deepEqual(
		jsonLines(readFileSync(join(dir, 'out.jsonl'), 'utf8')).map((r) => [r.index, r.line]),
		[
			[1, 3],
			[2, 4],
		],
	);
	assert.equal(server.requests.length, 2, 'nothing sent again');

	const other = await mockServer();
	const moved = await runCli(['--base-url', other.url, ...args.slice(2), '--resume'], { cwd: dir });
	assert.equal(moved.code, 2);
	assert.match(
		moved.stderr,
		/cannot resume: prompt 1 \(in\.txt:3\) is not the request the journal recorded/,
	);
	assert.equal(other.requests.length, 0);
});

test('a cache entry of the wrong shape is a miss, and never breaks a later --resume', {
	timeout: 60_000,
}, async () => {
	const server = await mockServer();
	const dir = withFiles({ 'in.txt': 'a\nb\n' });
	const cache = join(dir, 'cache');
	const args = ['--base-url', server.url, '-q', '-f', 'jsonl', `--cache=${cache}`];
	assert.equal((await runCli([...args, 'in.txt'], { cwd: dir })).code, 0);
	cacheSql(cache, `UPDATE answers SET answer = '{"response": 5, "usage": "lots"}'`);
	const fresh = await runCli([...args, '-o', 'out.jsonl', 'in.txt'], { cwd: dir });
	assert.equal(fresh.code, 0, fresh.stderr);
	const records = jsonLines(readFileSync(join(dir, 'out.jsonl'), 'utf8'));
	assert.deepEqual(
		records.map((r) => [r.response, r.cached]),
		[
			['a', false],
			['b', false],
		],
	);
	assert.equal(server.requests.length, 4);
	const resumed = await runCli([...args, '-o', 'out.jsonl', 'in.txt', '--resume'], { cwd: dir });
	assert.equal(resumed.code, 0, resumed.stderr);
});
