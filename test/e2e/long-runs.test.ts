import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import {
	BIN,
	cacheSql,
	homeEnv,
	jsonLines,
	prompts,
	runCli,
	SECRET_KEY,
	withFiles,
} from '../helpers/cli.ts';
import { mockServer } from '../helpers/server.ts';

test('a second run on the same output is refused while the first holds it', {
	timeout: 60_000,
}, async () => {
	const server = await mockServer({ latencyMs: [200, 200] });
	const dir = withFiles({ 'in.txt': prompts(6) });
	const args = ['--base-url', server.url, '-c', '1', '-q', '-o', 'out.txt', 'in.txt'];
	const first = runCli(args, { cwd: dir });
	while (server.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
	const second = await runCli(args, { cwd: dir });
	assert.equal(second.code, 2);
	assert.match(
		second.stderr,
		/^promptbatch: out\.txt is in use by another promptbatch run \(pid \d+\)/,
	);
	const done = await first;
	assert.equal(done.code, 0, done.stderr);
	assert.equal(server.requests.length, 6, 'the refused run sent nothing');
	assert.equal(existsSync(join(dir, 'out.txt.lock')), false, 'the lock is released at the end');
});

test('a lock left by a killed process is taken over', { timeout: 60_000 }, async () => {
	const server = await mockServer();
	const dir = withFiles({ 'in.txt': prompts(2) });
	// A process that has exited: its pid is free, as a SIGKILLed run's would be.
	const gone = spawnSync(process.execPath, ['-e', '0']).pid;
	writeFileSync(
		join(dir, 'out.txt.lock'),
		JSON.stringify({ pid: gone, host: (await import('node:os')).hostname() }),
	);
	const result = await runCli(['--base-url', server.url, '-q', '-o', 'out.txt', 'in.txt'], {
		cwd: dir,
	});
	assert.equal(result.code, 0, result.stderr);
	assert.equal(readFileSync(join(dir, 'out.txt'), 'utf8'), '[1] prompt 1\n[2] prompt 2\n');
});

test('an output that cannot be written is refused before any request', {
	timeout: 60_000,
}, async () => {
	const server = await mockServer();
	const dir = withFiles({ 'in.txt': prompts(3) });
	mkdirSync(join(dir, 'a-directory'));
	for (const [output, expected] of [
		[
			'no/such/dir/out.txt',
			/^promptbatch: cannot write no\/such\/dir\/out\.txt: .*no such file or directory/,
		],
		['a-directory', /^promptbatch: cannot write a-directory: .*illegal operation on a directory/],
	] as const) {
		const result = await runCli(['--base-url', server.url, '-o', output, 'in.txt'], { cwd: dir });
		assert.equal(result.code, 2, result.stderr);
		assert.match(result.stderr, expected);
	}
	assert.equal(server.requests.length, 0);
});

test('a write failure mid-run (a full disk) stops the run with exit 3, keeps what was recorded, and resume finishes', {
	timeout: 60_000,
}, async () => {
	const server = await mockServer();
	const dir = withFiles({ 'in.txt': prompts(200, (i) => `prompt ${i} ${'x'.repeat(40)}`) });
	const args = ['--base-url', server.url, '-c', '4', '-f', 'jsonl', '-o', 'out.jsonl', 'in.txt'];
	// RLIMIT_FSIZE makes writes past 16 KiB fail with EFBIG, as a full disk fails them with ENOSPC.
	const full = spawn(
		'bash',
		['-c', `trap '' XFSZ; ulimit -f 16; exec "$0" "$@"`, process.execPath, BIN, ...args],
		{
			cwd: dir,
			env: { PATH: process.env.PATH, ...homeEnv(), OPENAI_API_KEY: SECRET_KEY },
		},
	);
	let stderr = '';
	full.stderr.on('data', (chunk) => {
		stderr += chunk;
	});
	const code = await new Promise((resolve) => full.on('close', resolve));
	assert.equal(code, 3, stderr);
	assert.match(stderr, /promptbatch: cannot write out\.jsonl(\.journal)?: .*(EFBIG|too large)/i);
	assert.match(stderr, /promptbatch: to finish the run: promptbatch .* --resume/);
	const sent = server.requests.length;
	assert.ok(sent < 200, `dispatch stopped (${sent} sent)`);

	const resumed = await runCli([...args, '--resume', '-q'], { cwd: dir });
	assert.equal(resumed.code, 0, resumed.stderr);
	const records = jsonLines(readFileSync(join(dir, 'out.jsonl'), 'utf8'));
	assert.deepEqual(
		records.map((r) => r.index),
		Array.from({ length: 200 }, (_, i) => i + 1),
	);
	assert.ok(server.requests.length - 200 <= 4 + 1, `paid twice: ${server.requests.length - 200}`);
});

test('--cache: a rerun sends nothing; identical prompts in a run are sent once; errors are not cached', {
	timeout: 60_000,
}, async () => {
	const server = await mockServer({ latencyMs: [20, 20] });
	const cache = withFiles({});
	const input = 'alpha\nbeta\nalpha\nalpha\nbad [[fault:400]]\n';
	const args = ['--base-url', server.url, '-f', 'jsonl', `--cache=${cache}`];
	const first = await runCli(args, { input });
	assert.equal(first.code, 1, first.stderr);
	assert.deepEqual(server.requests.map((r) => r.prompt).sort(), [
		'alpha',
		'bad [[fault:400]]',
		'beta',
	]);
	assert.deepEqual(
		jsonLines(first.stdout).map((r) => [r.response, r.cached]),
		[
			['alpha', false],
			['beta', false],
			['alpha', true],
			['alpha', true],
			[null, false],
		],
	);
	assert.match(first.stderr, /2 cached \(8 tokens saved\)/);

	const second = await runCli(args, { input });
	assert.equal(second.code, 1);
	assert.equal(server.requests.length, 4, 'only the failed prompt is sent again');
	assert.ok(
		jsonLines(second.stdout)
			.slice(0, 4)
			.every((r) => r.cached === true && r.attempts === 0),
	);
	assert.match(second.stderr, /4 cached \(14 tokens saved\)/);

	// Another server is another answer; a TTL shorter than the entries' age makes them stale.
	const stale = await runCli([...args, '--cache-ttl', '1ms'], { input: 'alpha\n' });
	assert.equal(stale.code, 0);
	assert.equal(server.requests.length, 5);
	assert.equal(jsonLines(stale.stdout)[0]?.cached, false);
});

test('--cache: a prompt waiting for an identical one in flight that fails is sent itself', async () => {
	const server = await mockServer({ latencyMs: [20, 20] });
	const result = await runCli(
		['--base-url', server.url, '-f', 'jsonl', `--cache=${withFiles({})}`],
		{
			input: 'bad [[fault:400]]\nbad [[fault:400]]\ngood\n',
		},
	);
	assert.equal(result.code, 1, result.stderr);
	assert.deepEqual(server.requests.map((r) => r.prompt).sort(), [
		'bad [[fault:400]]',
		'bad [[fault:400]]',
		'good',
	]);
	assert.deepEqual(
		jsonLines(result.stdout).map((r) => [r.index, r.error === null, r.cached]),
		[
			[1, false, false],
			[2, false, false],
			[3, true, false],
		],
	);
});

test('--cache-ttl deletes expired entries; without it nothing is deleted', {
	timeout: 60_000,
}, async () => {
	const server = await mockServer();
	const cache = withFiles({});
	const args = ['--base-url', server.url, '-q', `--cache=${cache}`];
	assert.equal((await runCli(args, { input: 'one\ntwo\nthree\n' })).code, 0);
	const keys = () =>
		cacheSql(cache, 'SELECT key FROM answers').map((row) => (row as { key: string }).key);
	const [old1, old2, fresh] = keys();
	assert.ok(old1 && old2 && fresh, 'three entries written');
	const twoHours = 2 * 3_600_000;
	cacheSql(
		cache,
		'UPDATE answers SET created = created - ? WHERE key IN (?, ?)',
		twoHours,
		old1,
		old2,
	);

	assert.equal((await runCli(args, { input: 'four\n' })).code, 0);
	assert.equal(keys().length, 4, 'no TTL: nothing deleted');
	assert.equal((await runCli([...args, '--cache-ttl', '1h'], { input: 'five\n' })).code, 0);
	const left = keys();
	for (const key of [old1, old2]) assert.ok(!left.includes(key), `${key} deleted`);
	assert.ok(left.includes(fresh));
	assert.equal(left.length, 3, 'the fresh entry, four and five');
});

test('--cache is safe under concurrent runs: whole entries, each written once, nothing left over', {
	timeout: 60_000,
}, async () => {
	const server = await mockServer({ latencyMs: [0, 10], seed: 9 });
	const cache = withFiles({});
	const args = ['--base-url', server.url, '-q', '-f', 'jsonl', '-c', '8', `--cache=${cache}`];
	const input = prompts(100);
	const runs = await Promise.all([
		runCli(args, { input }),
		runCli(args, { input }),
		runCli(args, { input }),
	]);
	for (const run of runs) assert.equal(run.code, 0, run.stderr);
	assert.deepEqual(
		readdirSync(cache),
		['answers.sqlite'],
		'no write-ahead log or temporary file left',
	);
	const rows = cacheSql(cache, 'SELECT answer FROM answers') as { answer: string }[];
	assert.equal(rows.length, 100);
	for (const row of rows) assert.equal(typeof JSON.parse(row.answer).response, 'string');
	const sent = server.requests.length;
	const again = await runCli(args, { input });
	assert.equal(again.code, 0, again.stderr);
	assert.ok(jsonLines(again.stdout).every((r) => r.cached === true));
	assert.equal(server.requests.length, sent, 'a cached rerun sends no request');
});

test('answers the cache cannot store are said once, and the run goes on without them', {
	timeout: 60_000,
}, async () => {
	const server = await mockServer();
	const cache = withFiles({});
	const args = ['--base-url', server.url, '-f', 'jsonl', `--cache=${cache}`];
	assert.equal((await runCli(args, { input: 'one\n' })).code, 0);
	// Another process holds the database past a run's wait: the run's writes fail (as on a full disk).
	const db = new DatabaseSync(join(cache, 'answers.sqlite'));
	db.exec('BEGIN IMMEDIATE');
	try {
		const run = await runCli(args, { input: prompts(20) });
		assert.equal(run.code, 0, run.stderr);
		assert.equal(jsonLines(run.stdout).length, 20);
		assert.equal(run.stderr.match(/cannot store answers in the cache/g)?.length, 1, run.stderr);
		assert.match(
			run.stderr,
			/^promptbatch: warning: cannot store answers in the cache .+: database is locked; the run goes on/m,
		);
	} finally {
		db.exec('ROLLBACK');
		db.close();
	}
	assert.equal(cacheSql(cache, 'SELECT key FROM answers').length, 1, 'only the first run stored');
});

test('a cache database that is not one is refused before anything is sent, naming it', async () => {
	const server = await mockServer();
	const cache = withFiles({
		'answers.sqlite': 'not a database, but a long enough text to look like a file header',
	});
	const result = await runCli(['--base-url', server.url, `--cache=${cache}`], { input: 'x\n' });
	assert.equal(result.code, 2, result.stderr);
	assert.equal(server.requests.length, 0);
	assert.match(
		result.stderr,
		new RegExp(
			`^promptbatch: --cache ${cache}: cannot use ${join(cache, 'answers.sqlite')}: .*not a database`,
			'm',
		),
	);
	assert.match(result.stderr, /delete .*answers\.sqlite to start the cache afresh/);
	assert.doesNotMatch(result.stderr, /\n\s+at /);
});

test('--halt soon,fail=N stops dispatching after N failures and exits 1, saying why', {
	timeout: 60_000,
}, async () => {
	const server = await mockServer();
	const input = prompts(20, (i) => (i % 2 === 0 ? `bad ${i} [[fault:400]]` : `ok ${i}`));
	const result = await runCli(
		['--base-url', server.url, '-c', '1', '-q', '--halt', 'soon,fail=3'],
		{ input },
	);
	assert.equal(result.code, 1);
	assert.match(
		result.stderr,
		/^promptbatch: halted after 3 failed prompts \(--halt soon,fail=3\)/m,
	);
	// With one request at a time, the third failure is prompt 6: nothing after it is sent.
	assert.equal(server.requests.length, 6);
	assert.equal(result.stdout.trim().split('\n').length, 6);
});

test('--halt now,fail=P% aborts requests in flight once that share of finished prompts failed', {
	timeout: 60_000,
}, async () => {
	const server = await mockServer();
	const input = prompts(30, (i) =>
		i <= 2 ? `bad ${i} [[fault:400]]` : i === 3 ? 'ok 3' : `slow ${i} [[delay:3000]]`,
	);
	const started = Date.now();
	const result = await runCli(
		['--base-url', server.url, '-c', '4', '-f', 'jsonl', '-q', '--halt', 'now,fail=50%'],
		{ input },
	);
	assert.equal(result.code, 1);
	assert.match(result.stderr, /halted after \d+ failed prompts \(--halt now,fail=50%\)/);
	assert.ok(
		Date.now() - started < 2500,
		'the slow requests in flight were aborted, not waited for',
	);
	const records = jsonLines(result.stdout);
	assert.ok(records.some((r) => (r.error as { type: string } | null)?.type === 'aborted'));
});

test('bad --halt and --cache-ttl values are usage errors', async () => {
	for (const [flag, value] of [
		['--halt', 'sometimes'],
		['--halt', 'soon,fail=0'],
		['--halt', 'now,fail=150%'],
		['--cache-ttl', 'forever'],
	]) {
		const result = await runCli([flag as string, value as string, '--mock'], { input: 'x\n' });
		assert.equal(result.code, 2, `${flag} ${value}`);
		assert.match(result.stderr, new RegExp(`^promptbatch: option '${flag}`));
	}
	const dir = withFiles({ 'in.txt': 'x\n' });
	const fileAsCache = await runCli(['--mock', '--cache', 'in.txt'], { cwd: dir });
	assert.equal(fileAsCache.code, 2);
	assert.match(
		fileAsCache.stderr,
		/^promptbatch: --cache in\.txt: that is a file, not a directory \(write --cache=DIR/,
	);
});

test('--cache without a directory uses $XDG_CACHE_HOME/promptbatch, else ~/.cache/promptbatch', {
	timeout: 60_000,
}, async () => {
	const server = await mockServer();
	const xdg = withFiles({});
	const home = withFiles({});
	const viaXdg = await runCli(['--base-url', server.url, '-q', '--cache'], {
		input: 'x\n',
		env: { XDG_CACHE_HOME: xdg },
	});
	assert.equal(viaXdg.code, 0, viaXdg.stderr);
	assert.equal(cacheSql(join(xdg, 'promptbatch'), 'SELECT key FROM answers').length, 1);
	const viaHome = await runCli(['--base-url', server.url, '-q', '--cache'], {
		input: 'y\n',
		env: { HOME: home, XDG_CACHE_HOME: undefined },
	});
	assert.equal(viaHome.code, 0, viaHome.stderr);
	assert.equal(cacheSql(join(home, '.cache', 'promptbatch'), 'SELECT key FROM answers').length, 1);
});

test('-o naming an input file is refused before it can destroy the input; -o - is stdout', async () => {
	const server = await mockServer();
	const dir = withFiles({ 'in.txt': prompts(2) });
	const same = await runCli(['--base-url', server.url, '-o', './in.txt', 'in.txt'], { cwd: dir });
	assert.equal(same.code, 2);
	assert.match(
		same.stderr,
		/^promptbatch: -o \.\/in\.txt is also an input file \(in\.txt\); writing it would destroy the input/,
	);
	assert.equal(readFileSync(join(dir, 'in.txt'), 'utf8'), prompts(2));
	const dash = await runCli(['--base-url', server.url, '-q', '-o', '-', 'in.txt'], { cwd: dir });
	assert.equal(dash.code, 0, dash.stderr);
	assert.equal(dash.stdout, '[1] prompt 1\n[2] prompt 2\n');
	assert.equal(existsSync(join(dir, '-')), false);
	assert.equal(server.requests.length, 2);
});
