import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NEW_SPACE_CAP_BYTES } from '../../src/cli/footprint.ts';
import { jsonLines, prompts, reportLoads, runCli, tempDir } from '../helpers/cli.ts';
import { mockServer } from '../helpers/server.ts';

test("a realtime run loads neither the SDK's client, undici's index nor node:http2: megabytes it never uses", async () => {
	const server = await mockServer();
	const heavy = /undici\/index\.js$|openai\/(index|client)\.mjs$|^node:http2$/;
	const realtime = await runCli(['--base-url', server.url, '-f', 'jsonl'], {
		input: prompts(3),
		env: { NODE_OPTIONS: reportLoads(heavy) },
	});
	assert.equal(realtime.code, 0, realtime.stderr);
	assert.equal(jsonLines(realtime.stdout).length, 3);
	assert.doesNotMatch(realtime.stderr, /LOADED/);
	// The hook does see them where they are needed: the Batch API goes through the SDK.
	const batch = await runCli(['--base-url', server.url, '--batch', '--poll', '0.05'], {
		input: prompts(1),
		env: { NODE_OPTIONS: reportLoads(heavy) },
	});
	assert.equal(batch.code, 0, batch.stderr);
	assert.match(batch.stderr, /LOADED \S+openai\/(index|client)\.mjs/);
});

/**
 * NODE_OPTIONS that say at exit the largest V8's new space ("NEW SPACE n") and old generation
 * ("OLD SPACE n") got, and the most V8 held outside its heap, its compilers' memory mostly
 * ("MALLOCED n"), in bytes.
 */
const reportHeap = `--import=data:text/javascript,${encodeURIComponent(`import { getHeapSpaceStatistics, getHeapStatistics } from 'node:v8';
const most = { new_space: 0, old_space: 0 };
const look = () => { for (const s of getHeapSpaceStatistics()) if (s.space_name in most) most[s.space_name] = Math.max(most[s.space_name], s.space_size); };
setInterval(look, 5).unref();
process.on('exit', () => { look(); process.stderr.write('NEW SPACE ' + most.new_space + '\\nOLD SPACE ' + most.old_space + '\\nMALLOCED ' + getHeapStatistics().peak_malloced_memory + '\\n'); });`)}`;

/** The new space's largest, from a run's stderr; V8 overshoots a little now and then. */
function assertNearCap(stderr: string) {
	const most = Number(/NEW SPACE (\d+)/.exec(stderr)?.[1]);
	assert.ok(most > 0 && most <= NEW_SPACE_CAP_BYTES * 1.5, `new space reached ${most} bytes`);
}

test("a long run keeps V8's memory near what it holds, where V8's own sizing let garbage grow it", async () => {
	const server = await mockServer();
	const result = await runCli(['--base-url', server.url, '-c', '64', '-f', 'jsonl', '-q'], {
		input: prompts(30_000),
		env: { NODE_OPTIONS: reportHeap },
	});
	assert.equal(result.code, 0, result.stderr);
	assert.equal(jsonLines(result.stdout).length, 30_000);
	// The new space reached 32 MB uncapped; the old generation 32 MB (15-18 now), where the run
	// holds about 13 MB.
	assertNearCap(result.stderr);
	const old = Number(/OLD SPACE (\d+)/.exec(result.stderr)?.[1]);
	assert.ok(old > 0 && old <= 24 * 1024 * 1024, `old generation reached ${old} bytes`);
	// Optimizing undici's WebAssembly HTTP parser took V8 to 32-41 MB outside its heap, Maglev's
	// jobs to 11-18 MB (5-6 now).
	const malloced = Number(/MALLOCED (\d+)/.exec(result.stderr)?.[1]);
	assert.ok(
		malloced > 0 && malloced <= 9 * 1024 * 1024,
		`V8 held ${malloced} bytes outside its heap`,
	);
});

test('a resume of a finished run lets the event loop turn: the cap on the new space holds', {
	timeout: 120_000,
}, async () => {
	const server = await mockServer();
	const dir = tempDir();
	const args = ['--base-url', server.url, '-c', '64', '-f', 'jsonl', '-q', '-o', 'out.jsonl'];
	const input = prompts(20_000);
	const first = await runCli(args, { input, cwd: dir });
	assert.equal(first.code, 0, first.stderr);
	// Through a pipe, input comes read ahead: every answer known, nothing to wait for.
	const resumed = await runCli([...args, '--resume'], {
		input,
		cwd: dir,
		env: { NODE_OPTIONS: reportHeap },
	});
	assert.equal(resumed.code, 0, resumed.stderr);
	assert.equal(server.requests.length, 20_000, 'nothing sent again');
	assertNearCap(resumed.stderr);
});

test('a batch run reading a pipe lets the event loop turn: the cap on the new space holds', {
	timeout: 120_000,
}, async () => {
	const server = await mockServer();
	const result = await runCli(
		['--base-url', server.url, '--batch', '--poll', '0.05', '-q', '-f', 'jsonl', '-o', 'out.jsonl'],
		{ input: prompts(40_000), cwd: tempDir(), env: { NODE_OPTIONS: reportHeap } },
	);
	assert.equal(result.code, 0, result.stderr);
	// It reached 32 MB here (64 MB with `<(...)`, 128 MB at 100,000 prompts): the prompts of a
	// pipe come read ahead, and were taken, their batch lines made and their answers handled
	// without a turn in which the cap could act. Now 16-21 MB: the space grows a step or two while
	// the modules load, before the CLI's first look.
	const most = Number(/NEW SPACE (\d+)/.exec(result.stderr)?.[1]);
	assert.ok(most > 0 && most <= NEW_SPACE_CAP_BYTES * 3, `new space reached ${most} bytes`);
});
