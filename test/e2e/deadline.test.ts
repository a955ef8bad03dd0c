import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { jsonLines, prompts, runCli, withFiles } from '../helpers/cli.ts';
import { mockServer } from '../helpers/server.ts';

const PROMPTS = prompts(10, (i) => `question ${String(i).padStart(2, '0')}`);

/** A batch run of in.txt into out.jsonl, journaled beside it. */
function journaled(url: string): string[] {
	return [
		'--base-url',
		url,
		'--batch',
		'--poll',
		'0.1',
		'-f',
		'jsonl',
		'-o',
		'out.jsonl',
		'in.txt',
	];
}

/** What a run's records say of which way each prompt went. */
function ways(records: Record<string, unknown>[]) {
	return records.map((r) => (r.batch_id !== null ? 'batch' : r.service_tier));
}

test('--batch-deadline: a batch still running is cancelled, what it finished kept, the rest answered by flex, none twice', async () => {
	// A batch takes 3 × 1.5 s; the deadline comes after 1 s, and a cancellation takes 1.5 s.
	const server = await mockServer({ batchStageMs: 1500 });
	const result = await runCli(
		['--base-url', server.url, '--batch', '--poll', '0.1', '--batch-deadline', '1s', '-f', 'jsonl'],
		{ input: PROMPTS },
	);
	assert.equal(result.code, 0, result.stderr);
	assert.match(result.stderr, /the --batch-deadline passed: cancelling 1 batch\(es\)/);
	const records = jsonLines(result.stdout);
	assert.deepEqual(
		records.map((r) => r.index),
		Array.from({ length: 10 }, (_, i) => i + 1),
	);
	assert.ok(records.every((r) => r.error === null && r.response === r.input));
	// The mock's cancelled batch ran its first half.
	assert.deepEqual(ways(records), [...Array(5).fill('batch'), ...Array(5).fill('flex')]);
	assert.equal(server.batches.length, 1, 'no second batch');
	// The realtime requests were the other half, each once, all flex.
	assert.deepEqual(
		server.requests.map((r) => r.prompt).sort(),
		records.slice(5).map((r) => r.input),
	);
	assert.ok(server.requests.every((r) => r.body.service_tier === 'flex'));
	// Both ways at the batch price: 3 tokens each way for gpt-4o-mini, at half of $0.15 and $0.60 a million.
	assert.ok(
		records.every((r) => r.cost_usd === 0.000001125),
		JSON.stringify(records.map((r) => r.cost_usd)),
	);
});

test('--batch-deadline with --no-wait: the journal keeps the deadline, and the collecting run applies it', async () => {
	const server = await mockServer({ batchStageMs: 1500 });
	const dir = withFiles({ 'in.txt': PROMPTS });
	const args = journaled(server.url);
	const submitted = await runCli([...args, '--no-wait', '--batch-deadline', '1s'], { cwd: dir });
	assert.equal(submitted.code, 75, submitted.stderr);
	await sleep(1100);
	// The collecting run names no deadline: the first run's holds.
	const collected = await runCli([...args, '--resume'], { cwd: dir });
	assert.equal(collected.code, 0, collected.stderr);
	assert.match(collected.stderr, /the --batch-deadline passed/);
	const records = jsonLines(readFileSync(join(dir, 'out.jsonl'), 'utf8'));
	assert.equal(records.length, 10);
	assert.deepEqual(ways(records), [...Array(5).fill('batch'), ...Array(5).fill('flex')]);
	assert.equal(server.requests.length, 5);
	assert.equal(server.batches.length, 1);
});

test('stopped while flex finishes what the deadline left, --resume goes on through flex: no batch again, nothing twice', async () => {
	const server = await mockServer({ batchStageMs: 1500 });
	const slow = prompts(10, (i) => `question ${String(i).padStart(2, '0')} [[delay:1500]]`);
	const dir = withFiles({ 'in.txt': slow });
	const args = journaled(server.url);
	// Two at a time: two are in flight at the signal, and three never sent.
	const stopped = await runCli([...args, '--batch-deadline', '1s', '-c', '2'], {
		cwd: dir,
		onSpawn: async (child) => {
			while (server.requests.length === 0) await sleep(20);
			child.kill('SIGTERM');
		},
	});
	assert.equal(stopped.code, 143, stopped.stderr);
	assert.equal(server.requests.length, 2, 'the two in flight finished in the grace period');
	assert.equal(jsonLines(readFileSync(join(dir, 'out.jsonl'), 'utf8')).length, 7);
	const resumed = await runCli([...args, '--resume'], { cwd: dir });
	assert.equal(resumed.code, 0, resumed.stderr);
	const records = jsonLines(readFileSync(join(dir, 'out.jsonl'), 'utf8'));
	assert.deepEqual(ways(records), [...Array(5).fill('batch'), ...Array(5).fill('flex')]);
	assert.equal(server.requests.length, 5, 'nothing answered twice');
	assert.ok(server.requests.every((r) => r.body.service_tier === 'flex'));
	assert.equal(server.batches.length, 1, 'no batch submitted again');
});
