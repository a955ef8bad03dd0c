import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { BIN, homeEnv, jsonLines, prompts, runCli, SECRET_KEY, withFiles } from '../helpers/cli.ts';
import { mockServer } from '../helpers/server.ts';

test('SIGHUP (the terminal closed) drains, flushes, prints the resume command and exits 129', {
	timeout: 30_000,
}, async () => {
	const server = await mockServer({ latencyMs: [100, 100] });
	const dir = withFiles({ 'in.txt': prompts(50) });
	const args = ['--base-url', server.url, '-c', '2', '-f', 'jsonl', '-o', 'out.jsonl', 'in.txt'];
	const result = await runCli(args, {
		cwd: dir,
		onSpawn: (child) => {
			const poll = setInterval(() => {
				if (server.requests.length < 6) return;
				clearInterval(poll);
				child.kill('SIGHUP');
			}, 5);
			child.on('close', () => clearInterval(poll));
		},
	});
	assert.equal(result.code, 129, result.stderr);
	assert.match(result.stderr, /promptbatch: SIGHUP: stopping/);
	assert.match(result.stderr, /to finish the run: promptbatch .* --resume$/m);
	const done = jsonLines(readFileSync(join(dir, 'out.jsonl'), 'utf8')).length;
	assert.ok(done > 0 && done < 50, `${done} done`);
	const resumed = await runCli([...args, '--resume', '-q'], { cwd: dir });
	assert.equal(resumed.code, 0);
	assert.equal(jsonLines(readFileSync(join(dir, 'out.jsonl'), 'utf8')).length, 50);
});

test('a closed stderr (2>&1 | head) does not stop the run: every result still comes out', {
	timeout: 30_000,
}, async () => {
	const server = await mockServer({ latencyMs: [5, 5] });
	const child = spawn(process.execPath, [BIN, '--base-url', server.url, '--verbose'], {
		env: { PATH: process.env.PATH ?? '', ...homeEnv(), OPENAI_API_KEY: SECRET_KEY },
		stdio: ['pipe', 'pipe', 'pipe'],
	});
	child.stderr.destroy();
	let stdout = '';
	child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
		stdout += chunk;
	});
	child.stdin.end(prompts(200, (i) => `p${i} [[fault:500x1]]`));
	const [code] = (await once(child, 'close')) as [number];
	assert.equal(code, 0);
	assert.equal(stdout.trim().split('\n').length, 200);
});

test('stdout on a full disk is one line and exit 3; -o /dev/full is refused before any request', {
	timeout: 30_000,
}, async () => {
	const server = await mockServer();
	const child = spawn(process.execPath, [BIN, '--base-url', server.url, '-q'], {
		env: { PATH: process.env.PATH ?? '', ...homeEnv(), OPENAI_API_KEY: SECRET_KEY },
		stdio: ['pipe', openSync('/dev/full', 'w'), 'pipe'],
	});
	let stderr = '';
	child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
		stderr += chunk;
	});
	child.stdin?.end(prompts(5));
	const [code] = (await once(child, 'close')) as [number];
	assert.equal(code, 3, stderr);
	assert.match(stderr, /^promptbatch: cannot write the output: ENOSPC.*\(the disk is full/m);
	assert.doesNotMatch(stderr, /\n\s+at /);

	const before = server.requests.length;
	const device = await runCli(['--base-url', server.url, '-o', '/dev/full'], { input: 'x\n' });
	assert.equal(device.code, 2);
	assert.match(device.stderr, /^promptbatch: -o \/dev\/full is not a regular file/);
	assert.equal(server.requests.length, before);
});

test('a journal whose header a full disk cut short does not stop --resume', async () => {
	const server = await mockServer();
	const dir = withFiles({ 'in.txt': 'a\nb\n', 'out.txt.journal': '{"promptba' });
	const result = await runCli(
		['--base-url', server.url, '-q', '-o', 'out.txt', 'in.txt', '--resume'],
		{
			cwd: dir,
		},
	);
	assert.equal(result.code, 0, result.stderr);
	assert.equal(readFileSync(join(dir, 'out.txt'), 'utf8'), '[1] a\n[2] b\n');
});

test("a lock left by a dead process whose pid is now another's (pid 1 after a restart) is taken over", async () => {
	const server = await mockServer();
	const stale = JSON.stringify({ pid: 1, host: hostname(), started: 'another boot' });
	const dir = withFiles({ 'in.txt': 'a\n', 'out.txt.lock': stale });
	const result = await runCli(['--base-url', server.url, '-q', '-o', 'out.txt', 'in.txt'], {
		cwd: dir,
	});
	assert.equal(result.code, 0, result.stderr);
	assert.ok(!existsSync(join(dir, 'out.txt.lock')), 'released');
});

test('of many runs that find the same stale lock, exactly one takes it', {
	timeout: 120_000,
}, async () => {
	const lockModule = fileURLToPath(new URL('../../src/state/lock.ts', import.meta.url));
	// Each contender waits for the same moment, takes the lock, and holds it while the others try.
	const contender = `
		import { acquireLock } from ${JSON.stringify(lockModule)};
		while (Date.now() < Number(process.argv[2]));
		try { const release = acquireLock(process.argv[1]); console.log('won'); setTimeout(release, 1000); }
		catch { console.log('lost'); }`;
	for (let trial = 0; trial < 6; trial++) {
		const dir = withFiles({});
		const output = join(dir, 'out.txt');
		writeFileSync(`${output}.lock`, JSON.stringify({ pid: 2 ** 22 + trial, host: hostname() }));
		const at = String(Date.now() + 1200);
		const runs = Array.from({ length: 6 }, () =>
			spawn(process.execPath, ['--input-type=module', '-e', contender, output, at], {
				stdio: ['ignore', 'pipe', 'inherit'],
			}),
		);
		const said = await Promise.all(
			runs.map(async (child) => {
				let out = '';
				child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
					out += chunk;
				});
				await once(child, 'close');
				return out.trim();
			}),
		);
		assert.equal(said.filter((s) => s === 'won').length, 1, `trial ${trial}: ${said.join(' ')}`);
	}
});

test('--dry-run -o takes the lock too', { timeout: 30_000 }, async () => {
	const server = await mockServer({ latencyMs: [300, 300] });
	const dir = withFiles({ 'in.txt': prompts(4) });
	const first = runCli(['--base-url', server.url, '-q', '-c', '1', '-o', 'out.txt', 'in.txt'], {
		cwd: dir,
	});
	while (server.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
	const dry = await runCli(['--dry-run', '-o', 'out.txt', 'in.txt'], { cwd: dir });
	assert.equal(dry.code, 2);
	assert.match(dry.stderr, /out\.txt is in use by another promptbatch run/);
	assert.equal((await first).code, 0);
});
