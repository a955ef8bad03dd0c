import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { MockServer } from '../../src/mock/server.ts';
import { jsonLines, prompts, runCli, tempDir, withFiles } from '../helpers/cli.ts';
import { mockServer } from '../helpers/server.ts';

const fast = ['--poll', '0.02'];

/** A quiet batch run of in.txt, its results as JSONL in out.jsonl. */
const quietRun = (url: string) => [
	'--base-url',
	url,
	'--batch',
	...fast,
	'-q',
	'-f',
	'jsonl',
	'-o',
	'out.jsonl',
	'in.txt',
];

/** Runs `args` until it stops answering 75 (batches still running). */
async function collect(args: string[], options: Parameters<typeof runCli>[1]) {
	let result = await runCli(args, options);
	for (let i = 0; result.code === 75 && i < 100; i++) {
		await new Promise((resolve) => setTimeout(resolve, 50));
		result = await runCli(args, options);
	}
	return result;
}

test("--resume --cancel cancels the run's batches, keeps what they finished, and records the rest as cancelled", {
	timeout: 60_000,
}, async () => {
	// Stages long enough that the batch is still running when the cancel comes, however loaded.
	const server = await mockServer({ batchStageMs: 1500 });
	const dir = withFiles({ 'in.txt': prompts(4) });
	const args = quietRun(server.url);
	assert.equal((await runCli([...args, '--no-wait'], { cwd: dir })).code, 75);
	const cancelled = await runCli([...args, '--resume', '--cancel'], { cwd: dir });
	assert.equal(cancelled.code, 1, cancelled.stderr);
	const records = jsonLines(readFileSync(join(dir, 'out.jsonl'), 'utf8'));
	assert.deepEqual(
		records.map((r) => [r.response, (r.error as { type: string } | null)?.type]),
		[
			['prompt 1', undefined],
			['prompt 2', undefined],
			[null, 'cancelled'],
			[null, 'cancelled'],
		],
	);
	assert.equal(server.batches.length, 1);
	const misuse = await runCli(['--base-url', server.url, '--cancel'], { input: 'x\n' });
	assert.equal(misuse.code, 2);
	assert.match(misuse.stderr, /--cancel goes with --batch --resume/);
});

test('the enqueued-token limit is waited out: no prompt fails, none is paid twice', {
	timeout: 60_000,
}, async () => {
	const server = await mockServer({ batchStageMs: 500, enqueuedTokens: 25 });
	const dir = withFiles({
		'in.txt': prompts(10, (i) => `prompt num ${String(i).padStart(2, '0')}`),
	});
	const result = await runCli(
		[
			'--base-url',
			server.url,
			'--batch',
			...fast,
			'--batch-tokens',
			'70',
			'-f',
			'jsonl',
			'-o',
			'out.jsonl',
			'in.txt',
		],
		{ cwd: dir },
	);
	assert.equal(result.code, 0, result.stderr);
	assert.match(result.stderr, /waits: the enqueued-token limit was reached \(25 tokens\)/);
	const records = jsonLines(readFileSync(join(dir, 'out.jsonl'), 'utf8'));
	assert.equal(records.length, 10);
	assert.ok(records.every((r) => r.error === null && r.attempts === 1));
	const ids = new Set(records.map((r) => r.batch_id));
	assert.ok(server.batches.length > ids.size, 'one batch was refused and submitted again');
});

test('a batch run to stdout is recorded in a state file: the same command again reattaches', {
	timeout: 60_000,
}, async () => {
	const server = await mockServer({ batchStageMs: 1000 });
	const state = tempDir();
	const args = ['--base-url', server.url, '--batch', '--no-wait', '-q'];
	const options = { input: 'a\nb\n', env: { XDG_STATE_HOME: state } };
	const first = await runCli(args, options);
	assert.equal(first.code, 75, first.stderr);
	assert.equal(readdirSync(join(state, 'promptbatch')).length, 1);
	const done = await collect(args, options);
	assert.equal(done.code, 0, done.stderr);
	assert.equal(done.stdout, '[1] a\n[2] b\n');
	assert.equal(server.batches.length, 1, 'never submitted twice');
	assert.deepEqual(
		readdirSync(join(state, 'promptbatch')),
		[],
		'the state is retired once collected',
	);
});

test('Ctrl-C while waiting detaches: the batch keeps running, the printed command collects it', {
	timeout: 60_000,
}, async () => {
	const server = await mockServer({ batchStageMs: 400 });
	const dir = withFiles({ 'in.txt': prompts(3) });
	const args = [
		'--base-url',
		server.url,
		'--batch',
		...fast,
		'-f',
		'jsonl',
		'-o',
		'out.jsonl',
		'in.txt',
	];
	const detached = await runCli(args, {
		cwd: dir,
		onSpawn: (child) => {
			const poll = setInterval(() => {
				if (server.batches.length === 0) return;
				clearInterval(poll);
				child.kill('SIGINT');
			}, 5);
			child.on('close', () => clearInterval(poll));
		},
	});
	assert.equal(detached.code, 130, detached.stderr);
	assert.match(detached.stderr, /detached: 1 batch\(es\) keep running on the server/);
	const command = /to finish the run: promptbatch (.*)$/m.exec(detached.stderr)?.[1] as string;
	const done = await runCli(command.split(' '), { cwd: dir });
	assert.equal(done.code, 0, done.stderr);
	assert.equal(server.batches.length, 1);
	assert.equal(jsonLines(readFileSync(join(dir, 'out.jsonl'), 'utf8')).length, 3);
});

test('SIGKILL at every step of a batch (upload, create, after create, download): the rerun creates no second batch', {
	timeout: 120_000,
}, async () => {
	const moments = {
		'during the upload': { delays: { upload: 2000 }, ready: (s: MockServer) => s.files > 0 },
		'during the create call': {
			delays: { create: 2000 },
			ready: (s: MockServer) => s.batches.length > 0,
		},
		'after the create call': {
			delays: {},
			ready: (_: MockServer, journal: string) => journal.includes('"id":'),
		},
		'during the download': { delays: { content: 2000 }, ready: (s: MockServer) => s.downloads > 0 },
	} as const;
	for (const [moment, { delays, ready }] of Object.entries(moments)) {
		const server = await mockServer({ batchStageMs: 100, batchDelays: delays });
		const dir = withFiles({ 'in.txt': prompts(5) });
		const args = quietRun(server.url);
		const journal = join(dir, 'out.jsonl.journal');
		const killed = await runCli(args, {
			cwd: dir,
			onSpawn: (child) => {
				const poll = setInterval(() => {
					if (!ready(server, existsSync(journal) ? readFileSync(journal, 'utf8') : '')) return;
					clearInterval(poll);
					child.kill('SIGKILL');
				}, 2);
				child.on('close', () => clearInterval(poll));
			},
		});
		assert.equal(killed.signal, 'SIGKILL', moment);
		const rerun = await runCli([...args, '--resume'], { cwd: dir });
		assert.equal(rerun.code, 0, `${moment}: ${rerun.stderr}`);
		assert.equal(server.batches.length, 1, `${moment}: exactly one batch ever created`);
		assert.deepEqual(
			jsonLines(readFileSync(join(dir, 'out.jsonl'), 'utf8')).map((r) => r.response),
			['prompt 1', 'prompt 2', 'prompt 3', 'prompt 4', 'prompt 5'],
			moment,
		);
	}
});

test('--batch with --cache: cached answers are not submitted, batch answers fill the cache', {
	timeout: 60_000,
}, async () => {
	const server = await mockServer({ batchStageMs: 20 });
	const cache = tempDir();
	const dir = withFiles({ 'in.txt': 'a\nb\nc\n' });
	const realtime = await runCli(['--base-url', server.url, '-q', `--cache=${cache}`], {
		input: 'a\n',
	});
	assert.equal(realtime.code, 0);
	const batch = await runCli(
		[
			'--base-url',
			server.url,
			'--batch',
			...fast,
			'-q',
			`--cache=${cache}`,
			'-f',
			'jsonl',
			'-o',
			'out.jsonl',
			'in.txt',
		],
		{ cwd: dir },
	);
	assert.equal(batch.code, 0, batch.stderr);
	assert.equal(server.batches.length, 1);
	assert.deepEqual(
		jsonLines(readFileSync(join(dir, 'out.jsonl'), 'utf8')).map((r) => [r.response, r.cached]),
		[
			['a', true],
			['b', false],
			['c', false],
		],
	);
	const sent = server.requests.length;
	const again = await runCli(['--base-url', server.url, '-q', `--cache=${cache}`], {
		input: 'b\nc\n',
	});
	assert.equal(again.stdout, '[1] b\n[2] c\n');
	assert.equal(server.requests.length, sent, 'answered from the cache the batch filled');
});

test('a server without the Batch API is exit 2 in one line', async () => {
	const server = await mockServer({ noBatchApi: true });
	const dir = withFiles({ 'in.txt': 'x\n' });
	const result = await runCli(['--base-url', server.url, '--batch', '-o', 'out.txt', 'in.txt'], {
		cwd: dir,
	});
	assert.equal(result.code, 2, result.stderr);
	assert.match(result.stderr, /^promptbatch: the server has no Batch API/m);
});

test('a batch run to stdout takes --resume --cancel too: its state file is its journal', {
	timeout: 60_000,
}, async () => {
	const server = await mockServer({ batchStageMs: 1500 });
	const options = { input: prompts(4), env: { XDG_STATE_HOME: tempDir() } };
	const args = ['--base-url', server.url, '--batch', ...fast, '-q'];
	assert.equal((await runCli([...args, '--no-wait'], options)).code, 75);
	const cancelled = await runCli([...args, '--resume', '--cancel'], options);
	assert.equal(cancelled.code, 1, cancelled.stderr);
	assert.deepEqual(cancelled.stdout.trim().split('\n').slice(2), [
		'[3] ERROR: the batch ended cancelled before this request ran',
		'[4] ERROR: the batch ended cancelled before this request ran',
	]);
	assert.equal(server.batches.length, 1);
});

test('a batch file whose line never ends is refused past 256 MB, and the batch is not sent again', {
	timeout: 60_000,
}, async () => {
	const server = await mockServer({ batchStageMs: 20 });
	const dir = withFiles({ 'in.txt': 'fine\nflood [[batch:endless]]\n' });
	const result = await runCli(quietRun(server.url), { cwd: dir });
	assert.equal(result.code, 3, result.stderr);
	assert.match(
		result.stderr,
		/^promptbatch: the batch file \S+ has a line larger than 256 MB, more than any answer: refused, as a server that never stops sending would fill memory \(rerun the same command with --resume to collect it again; its batch is not sent again\)$/m,
	);
	const again = await runCli([...quietRun(server.url), '--resume'], { cwd: dir });
	assert.equal(again.code, 3, again.stderr);
	assert.equal(server.batches.length, 1, 'never submitted twice');
});

test('a batch collected again (killed after some of its answers were journaled) settles each prompt once', {
	timeout: 60_000,
}, async () => {
	const server = await mockServer({ batchStageMs: 20 });
	const dir = withFiles({ 'in.txt': prompts(4) });
	const args = [...quietRun(server.url), '--summary-json', 'summary.json'];
	const first = await runCli(args, { cwd: dir });
	assert.equal(first.code, 0, first.stderr);
	// As a kill between the answers and the note that the batch was collected leaves it.
	const journal = join(dir, 'out.jsonl.journal');
	const lines = readFileSync(journal, 'utf8').split('\n');
	writeFileSync(journal, lines.filter((line) => !line.includes('"collected"')).join('\n'));
	const again = await runCli([...args, '--resume'], { cwd: dir });
	assert.equal(again.code, 0, again.stderr);
	assert.equal(server.batches.length, 1, 'no batch created again');
	assert.deepEqual(
		jsonLines(readFileSync(join(dir, 'out.jsonl'), 'utf8')).map((r) => r.response),
		['prompt 1', 'prompt 2', 'prompt 3', 'prompt 4'],
	);
	const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8'));
	assert.equal(summary.ok, 4, JSON.stringify(summary));
	const entries = readFileSync(journal, 'utf8')
		.split('\n')
		.filter((line) => line.startsWith('{"h"'));
	assert.equal(entries.length, 4, 'each answer journaled once');
});
