import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { prompts, runCli, tempDir } from '../helpers/cli.ts';
import { mockServer } from '../helpers/server.ts';

test('off a terminal: a start line, then progress lines every --progress-interval with percent, retries, elapsed, ETA and the learned pace', async () => {
	const server = await mockServer({ rateLimits: { rpm: 6000 }, latencyMs: [30, 30] });
	const input = `${prompts(30)}flaky [[fault:500x1]]\n`;
	const result = await runCli(['--base-url', server.url, '-c', '2', '--progress-interval', '0.1'], {
		input,
	});
	assert.equal(result.code, 0, result.stderr);
	const lines = result.stderr.trimEnd().split('\n');
	assert.equal(
		lines[0],
		`promptbatch: starting: prompts from a stream, model gpt-4o-mini, ${server.url}/chat/completions, concurrency 2`,
	);
	const progress = lines.filter((line) => / done, /.test(line));
	assert.ok(progress.length >= 2, result.stderr);
	assert.match(
		progress.at(-1) ?? '',
		/^promptbatch: \d+ done, 0 failed, [01] retr(y|ies), \d+ in flight, [\d.]+ req\/s, \d+ tokens, \$[\d.]+ spent, \d+s elapsed, pace 6000 rpm$/,
	);
	assert.match(lines.at(-1) ?? '', /^promptbatch: done: 31 ok, 0 failed, 1 retry, /);
});

test('with a file input the progress line has a percent, done/total and an ETA', async () => {
	const server = await mockServer({ latencyMs: [40, 40] });
	const dir = tempDir();
	const file = join(dir, 'in.txt');
	writeFileSync(file, prompts(20));
	const result = await runCli([
		'--base-url',
		server.url,
		'-c',
		'1',
		'--progress-interval',
		'0.2',
		file,
	]);
	assert.equal(result.code, 0, result.stderr);
	assert.match(result.stderr, /^promptbatch: starting: 20 prompts, model gpt-4o-mini, /);
	assert.match(
		result.stderr,
		/promptbatch: \d+% \d+\/20 done, 0 failed, 0 retries, .*, \d+s elapsed, ETA \d+s/,
	);
});

test('--summary-json writes the counts, tokens, timings and how the run ended, however it ends', async () => {
	const server = await mockServer();
	const dir = tempDir();
	const path = join(dir, 'summary.json');
	const read = () => JSON.parse(readFileSync(path, 'utf8'));

	const ok = await runCli(['--base-url', server.url, '-q', '--summary-json', path], {
		input: 'a\nbad [[fault:400]]\nflaky [[fault:500x1]]\n',
	});
	assert.equal(ok.code, 1, ok.stderr);
	const summary = read();
	assert.deepEqual(
		{ ...summary, started_at: 'T', ended_at: 'T', elapsed_ms: 0 },
		{
			end: 'complete',
			error: null,
			total: null,
			ok: 2,
			failed: 1,
			aborted: 0,
			cached: 0,
			resumed: 0,
			retries: 1,
			// 'a' is 1 token each way, 'flaky [[fault:500x1]]' 6: the failed prompt used none.
			usage: { prompt_tokens: 7, completion_tokens: 7, total_tokens: 14 },
			started_at: 'T',
			ended_at: 'T',
			elapsed_ms: 0,
			// gpt-4o-mini: 7 in at $0.15/M and 7 out at $0.60/M.
			cost_usd: 0.00000525,
			unpriced: 0,
			realtime_cost_usd: 0.00000525,
			model: 'gpt-4o-mini',
			server: server.url,
			engine: 'realtime',
		},
	);
	assert.ok(Date.parse(summary.ended_at) >= Date.parse(summary.started_at));
	assert.equal(typeof summary.elapsed_ms, 'number');

	const invalid = await runCli(
		[
			'--base-url',
			server.url,
			'-q',
			'--summary-json',
			path,
			'-f',
			'jsonl',
			'--input-format',
			'jsonl',
		],
		{
			input: '{"x": 1}\n',
		},
	);
	assert.equal(invalid.code, 2);
	assert.equal(read().end, 'invalid');
	assert.equal(read().error.type, 'InputError');
	assert.match(read().error.message, /without "prompt"/);

	const aborted = await runCli(['--base-url', server.url, '-q', '--summary-json', path], {
		input: 'q [[fault:quota]]\n',
	});
	assert.equal(aborted.code, 3);
	assert.equal(read().end, 'aborted');
	assert.equal(read().error.type, 'FatalRunError');
});

test('a --summary-json that could not be written, or would destroy an input, is refused before anything is sent', async () => {
	const server = await mockServer();
	const dir = tempDir();
	writeFileSync(join(dir, 'in.txt'), 'a\n');
	const table: [string[], RegExp][] = [
		[['--summary-json', join(dir, 'missing', 'summary.json'), 'in.txt'], /: no such directory/],
		[['--summary-json', dir, 'in.txt'], /is a directory/],
		[
			['--summary-json', 'in.txt', 'in.txt'],
			/--summary-json in\.txt is also an input file \(in\.txt\)/,
		],
		[['--summary-json', 'out.txt', '-o', 'out.txt', 'in.txt'], /is also -o/],
	];
	for (const [args, expected] of table) {
		const result = await runCli(['--base-url', server.url, ...args], { cwd: dir });
		assert.equal(result.code, 2, result.stderr);
		assert.match(result.stderr, expected);
	}
	assert.equal(server.requests.length, 0);
	assert.equal(existsSync(join(dir, 'missing')), false);
	assert.equal(readFileSync(join(dir, 'in.txt'), 'utf8'), 'a\n');
});
