import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { seededRandom } from '../../src/mock/faults.ts';
import type { MockServer } from '../../src/mock/server.ts';
import { jsonLines, prompts, runCli, withFiles } from '../helpers/cli.ts';
import { mockServer } from '../helpers/server.ts';

/** Sends `signal` to the child once the server has seen `count` requests in total. */
function signalAfter(
	server: MockServer,
	count: number,
	signal: NodeJS.Signals,
	again?: NodeJS.Signals,
) {
	return (child: ChildProcess) => {
		const poll = setInterval(() => {
			if (server.requests.length >= count) {
				clearInterval(poll);
				child.kill(signal);
				if (again) setTimeout(() => child.kill(again), 100);
			}
		}, 2);
		child.on('close', () => clearInterval(poll));
	};
}

/** The records without what differs from run to run. */
function comparable(text: string) {
	return jsonLines(text).map(({ latency_ms: _, ...rest }) => rest);
}

test('SIGKILL at random moments, then --resume: the file equals an uninterrupted run and little is paid twice', {
	timeout: 60_000,
}, async () => {
	const N = 60;
	const concurrency = 4;
	const input = prompts(N);
	const options = { latencyMs: [5, 30] as [number, number], seed: 42 };
	const argsFor = (server: MockServer) => [
		'--base-url',
		server.url,
		'-c',
		String(concurrency),
		'-f',
		'jsonl',
		'-q',
		'-o',
		'out.jsonl',
		'in.txt',
	];
	const reference = await mockServer(options);
	const refDir = withFiles({ 'in.txt': input });
	const clean = await runCli(argsFor(reference), { cwd: refDir });
	assert.equal(clean.code, 0, clean.stderr);

	const server = await mockServer(options);
	const dir = withFiles({ 'in.txt': input });
	const args = argsFor(server);
	const random = seededRandom(7);
	let kills = 0;
	for (let round = 0; round < 3; round++) {
		const at = server.requests.length + 3 + Math.floor(random() * 15);
		const killed = await runCli(round === 0 ? args : [...args, '--resume'], {
			cwd: dir,
			onSpawn: signalAfter(server, at, 'SIGKILL'),
		});
		if (killed.signal === 'SIGKILL') kills++;
	}
	assert.ok(kills >= 2, `the runs were really killed (${kills})`);
	const finished = await runCli([...args, '--resume'], { cwd: dir });
	assert.equal(finished.code, 0, finished.stderr);

	assert.deepEqual(
		comparable(readFileSync(join(dir, 'out.jsonl'), 'utf8')),
		comparable(readFileSync(join(refDir, 'out.jsonl'), 'utf8')),
	);
	const paidTwice = server.requests.length - N;
	assert.ok(
		paidTwice <= concurrency * kills,
		`${paidTwice} requests paid twice after ${kills} kills at concurrency ${concurrency}`,
	);
	// Each prompt reached the server at least once, and a resumed run never re-sent a recorded success.
	assert.equal(new Set(server.requests.map((r) => r.prompt)).size, N);
});

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
	test(`${signal} mid-run: say so, let requests in flight finish, flush, print the resume command, exit ${signal === 'SIGINT' ? 130 : 143}`, {
		timeout: 60_000,
	}, async () => {
		const server = await mockServer({ latencyMs: [150, 150] });
		const dir = withFiles({ 'in.txt': prompts(30) });
		const args = ['--base-url', server.url, '-c', '3', '-f', 'jsonl', '-o', 'out.jsonl', 'in.txt'];
		const result = await runCli(args, { cwd: dir, onSpawn: signalAfter(server, 7, signal) });
		assert.equal(result.code, signal === 'SIGINT' ? 130 : 143);
		assert.match(
			result.stderr,
			new RegExp(`promptbatch: ${signal}: stopping; requests in flight may finish`),
		);
		const done = jsonLines(readFileSync(join(dir, 'out.jsonl'), 'utf8'));
		// The requests in flight had time to finish: every record written is a success, in order.
		assert.deepEqual(
			done.map((r) => [r.index, r.error]),
			done.map((_, i) => [i + 1, null]),
		);
		assert.equal(done.length, server.requests.length);
		assert.match(
			result.stderr,
			new RegExp(`promptbatch: ${done.length} of 30 prompts done, ${30 - done.length} to go\\n`),
		);
		const hint = /promptbatch: to finish the run: promptbatch (.*)\n/.exec(result.stderr);
		assert.equal(hint?.[1], `${args.join(' ')} --resume`);

		const resumed = await runCli([...args, '--resume'], { cwd: dir });
		assert.equal(resumed.code, 0, resumed.stderr);
		assert.equal(jsonLines(readFileSync(join(dir, 'out.jsonl'), 'utf8')).length, 30);
		assert.equal(server.requests.length, 30, 'nothing was sent twice');
		assert.match(resumed.stderr, new RegExp(`${done.length} already done \\(resumed\\)`));
	});
}

test('a second Ctrl-C aborts requests in flight at once; what was recorded is kept and resume finishes', {
	timeout: 60_000,
}, async () => {
	const server = await mockServer();
	// 3-6 hang once and fill all 4 slots, so 7-12 are never sent before the Ctrl-Cs.
	const dir = withFiles({
		'in.txt': prompts(12, (i) => (i >= 3 && i <= 6 ? `stuck ${i} [[fault:hangx1]]` : `quick ${i}`)),
	});
	const args = ['--base-url', server.url, '-c', '4', '-f', 'jsonl', '-o', 'out.jsonl', 'in.txt'];
	const result = await runCli(args, {
		cwd: dir,
		onSpawn: signalAfter(server, 6, 'SIGINT', 'SIGINT'),
	});
	assert.equal(result.code, 130);
	assert.match(result.stderr, /SIGINT again: aborting requests in flight/);
	const records = jsonLines(readFileSync(join(dir, 'out.jsonl'), 'utf8'));
	assert.deepEqual(
		records.slice(0, 2).map((r) => r.response),
		['quick 1', 'quick 2'],
	);
	assert.deepEqual(
		records.slice(2).map((r) => [r.index, (r.error as { type: string } | null)?.type]),
		[3, 4, 5, 6].map((i) => [i, 'aborted']),
	);
	const resumed = await runCli([...args, '--resume'], { cwd: dir });
	assert.equal(resumed.code, 0, resumed.stderr);
	const final = jsonLines(readFileSync(join(dir, 'out.jsonl'), 'utf8'));
	assert.equal(final.length, 12);
	assert.ok(final.every((r) => r.error === null));
	assert.equal(
		server.requests.filter((r) => r.prompt === 'quick 1' || r.prompt === 'quick 2').length,
		2,
		'successes were not sent again',
	);
});

test('Ctrl-C with results on stdout: the complete results, in order, and a closed JSON array', {
	timeout: 60_000,
}, async () => {
	const server = await mockServer({ latencyMs: [100, 100] });
	const result = await runCli(['--base-url', server.url, '-c', '2', '-f', 'json'], {
		input: prompts(20),
		onSpawn: signalAfter(server, 5, 'SIGINT'),
	});
	assert.equal(result.code, 130);
	const records = JSON.parse(result.stdout) as { index: number; error: unknown }[];
	assert.ok(records.length >= 4);
	assert.deepEqual(
		records.map((r) => [r.index, r.error]),
		records.map((_, i) => [i + 1, null]),
	);
	assert.match(result.stderr, /results went to stdout; with -o FILE a run can be resumed/);
});

test('--resume refuses changed input or options, naming the first prompt that differs; nothing is sent', {
	timeout: 60_000,
}, async () => {
	const server = await mockServer({ latencyMs: [20, 20] });
	const dir = withFiles({ 'in.txt': prompts(20) });
	const args = ['--base-url', server.url, '-c', '2', '-q', '-o', 'out.txt', 'in.txt'];
	const first = await runCli(args, { cwd: dir, onSpawn: signalAfter(server, 8, 'SIGKILL') });
	assert.equal(first.signal, 'SIGKILL');
	const sent = server.requests.length;

	writeFileSync(
		join(dir, 'in.txt'),
		prompts(20, (i) => (i === 3 ? 'prompt three, edited' : `prompt ${i}`)),
	);
	const edited = await runCli([...args, '--resume'], { cwd: dir });
	assert.equal(edited.code, 2);
	assert.match(
		edited.stderr,
		/^promptbatch: cannot resume: prompt 3 \(in\.txt:3\) is not the request the journal recorded for it/,
	);
	assert.match(edited.stderr, /without --resume to start over/);

	writeFileSync(join(dir, 'in.txt'), prompts(20));
	const otherModel = await runCli([...args, '--resume', '-m', 'another-model'], { cwd: dir });
	assert.equal(otherModel.code, 2);
	assert.match(otherModel.stderr, /cannot resume: prompt 1 \(in\.txt:1\)/);
	const otherSystem = await runCli([...args, '--resume', '-s', 'new system prompt'], { cwd: dir });
	assert.equal(otherSystem.code, 2);

	writeFileSync(join(dir, 'in.txt'), prompts(2));
	const shrunk = await runCli([...args, '--resume'], { cwd: dir });
	assert.equal(shrunk.code, 2);
	assert.match(
		shrunk.stderr,
		/cannot resume: the journal has a result for prompt \d+, but the input now has 2/,
	);
	assert.equal(server.requests.length, sent, 'no refused resume sent anything');
});

test('--resume needs -o; with no journal yet it simply starts', { timeout: 60_000 }, async () => {
	const server = await mockServer();
	const noOutput = await runCli(['--base-url', server.url, '--resume'], { input: 'x\n' });
	assert.equal(noOutput.code, 2);
	assert.match(noOutput.stderr, /^promptbatch: --resume needs -o FILE/);
	const dir = withFiles({ 'in.txt': prompts(3) });
	const fresh = await runCli(
		['--base-url', server.url, '-q', '-o', 'out.txt', '--resume', 'in.txt'],
		{ cwd: dir },
	);
	assert.equal(fresh.code, 0, fresh.stderr);
	assert.equal(
		readFileSync(join(dir, 'out.txt'), 'utf8'),
		'[1] prompt 1\n[2] prompt 2\n[3] prompt 3\n',
	);
	assert.equal(server.requests.length, 3);
	// A rerun of a finished run sends nothing: every success is in the journal.
	const again = await runCli(
		['--base-url', server.url, '-q', '-o', 'out.txt', '--resume', 'in.txt'],
		{ cwd: dir },
	);
	assert.equal(again.code, 0, again.stderr);
	assert.equal(server.requests.length, 3);
	assert.equal(
		readFileSync(join(dir, 'out.txt'), 'utf8'),
		'[1] prompt 1\n[2] prompt 2\n[3] prompt 3\n',
	);
});

test('failures are journaled but sent again on resume', { timeout: 60_000 }, async () => {
	const server = await mockServer();
	const dir = withFiles({ 'in.txt': 'ok\nflaky [[fault:500x3]]\n' });
	const args = [
		'--base-url',
		server.url,
		'-q',
		'-f',
		'jsonl',
		'--retries',
		'1',
		'-o',
		'out.jsonl',
		'in.txt',
	];
	assert.equal((await runCli(args, { cwd: dir })).code, 1);
	const resumed = await runCli([...args, '--resume'], { cwd: dir });
	assert.equal(resumed.code, 0, resumed.stderr);
	const records = jsonLines(readFileSync(join(dir, 'out.jsonl'), 'utf8'));
	assert.deepEqual(
		records.map((r) => r.error),
		[null, null],
	);
	assert.equal(server.requests.filter((r) => r.prompt === 'ok').length, 1);
});

test('--resume of a finished run keeps no results in memory: 100 MB of answers resume in a 64 MB heap', {
	timeout: 120_000,
}, async () => {
	const server = await mockServer();
	// The mock echoes: every answer is as long as its prompt.
	const dir = withFiles({ 'in.txt': prompts(5000, (i) => `${i} ${'x'.repeat(20_000)}`) });
	const args = ['--base-url', server.url, '-q', '-f', 'jsonl', '-o', 'out.jsonl', 'in.txt'];
	const first = await runCli(args, { cwd: dir });
	assert.equal(first.code, 0, first.stderr);
	const written = readFileSync(join(dir, 'out.jsonl'), 'utf8');
	const resumed = await runCli([...args, '--resume'], {
		cwd: dir,
		env: { NODE_OPTIONS: '--max-old-space-size=64' },
	});
	assert.equal(resumed.code, 0, resumed.stderr);
	assert.equal(server.requests.length, 5000, 'nothing sent again');
	assert.equal(readFileSync(join(dir, 'out.jsonl'), 'utf8'), written);
});
