import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { jsonLines, prompts, runCli, withFiles } from '../helpers/cli.ts';
import { mockServer } from '../helpers/server.ts';

test('the concurrency cap holds as the server observes it', async () => {
	const server = await mockServer({ latencyMs: [30, 60] });
	const result = await runCli(['--base-url', server.url, '-c', '3', '-q'], { input: prompts(24) });
	assert.equal(result.code, 0, result.stderr);
	assert.equal(server.requests.length, 24);
	assert.equal(server.maxInFlight, 3);
});

/** Gaps between consecutive arrivals at the server, in ms. */
function gaps(server: { requests: readonly { at: number }[] }): number[] {
	const times = server.requests.map((r) => r.at);
	return times.slice(1).map((t, i) => t - (times[i] as number));
}

/**
 * Asserts that from request `from` on, arrivals keep to one per `intervalMs`: request j lands
 * no earlier than (j - from - 1) intervals after request `from` (one early, for the limiter's
 * slack), with 60 ms for scheduling noise. A late arrival only helps, so load can't fail it;
 * requests sent at once would.
 */
function assertPaced(
	server: { requests: readonly { at: number }[] },
	from: number,
	intervalMs: number,
): void {
	const times = server.requests.map((r) => r.at);
	const start = times[from] as number;
	const offsets = times.map((t) => Math.round(t - start));
	for (let j = from + 1; j < times.length; j++) {
		assert.ok(
			(times[j] as number) - start >= (j - from - 1) * intervalMs - 60,
			`arrival offsets (ms): ${offsets.join(', ')}`,
		);
	}
}

test('--rpm spreads requests evenly instead of sending them at once', async () => {
	const server = await mockServer();
	// 600 rpm is one request every 100 ms; 12 prompts at concurrency 12 would otherwise all go at once.
	const result = await runCli(['--base-url', server.url, '-c', '12', '--rpm', '600', '-q'], {
		input: prompts(12),
	});
	assert.equal(result.code, 0, result.stderr);
	assert.equal(server.requests.length, 12);
	assertPaced(server, 0, 100);
});

test('limits the server advertises in x-ratelimit-* headers pace the run without any flag', async () => {
	const server = await mockServer({ rateLimits: { rpm: 600 } });
	const result = await runCli(['--base-url', server.url, '-c', '2', '-q'], { input: prompts(14) });
	assert.equal(result.code, 0, result.stderr);
	// The first two go before any answer has told us the limit; after that, ~100 ms apart.
	assertPaced(server, 2, 100);
});

test('a server that says nothing remains holds dispatch until its reset time', async () => {
	// 3 requests a second; --rpm keeps us from adopting the limit as a pace, so only the pause acts.
	const server = await mockServer({ rateLimits: { rpm: 3, windowMs: 1000 } });
	const result = await runCli(['--base-url', server.url, '-c', '1', '--rpm', '100000', '-q'], {
		input: prompts(4),
	});
	assert.equal(result.code, 0, result.stderr);
	const observed = gaps(server);
	// The third answer says 0 remaining, reset in ~1 s: the fourth request waits for it.
	assert.ok((observed[2] ?? 0) >= 800, `gaps: ${observed.map(Math.round).join(', ')}`);
	assert.ok(
		observed.slice(0, 2).every((gap) => gap < 500),
		`gaps: ${observed.map(Math.round).join(', ')}`,
	);
});

test('a 429 pauses the whole queue for its retry-after, not just the request that got it', async () => {
	const server = await mockServer({ retryAfterMs: 1500, latencyMs: [5, 5] });
	const input = prompts(30, (i) => (i === 3 ? 'limited [[fault:429x1]]' : `prompt ${i}`));
	const result = await runCli(['--base-url', server.url, '-c', '4', '-q', '-f', 'jsonl'], {
		input,
	});
	assert.equal(result.code, 0, result.stderr);
	const limited = server.requests.find((r) => r.outcome === '429');
	assert.ok(limited);
	// Requests already on their way when the 429 came back may land just after it; none may start
	// in the rest of the pause.
	const during = server.requests.filter((r) => r.at > limited.at + 200 && r.at < limited.at + 1400);
	assert.deepEqual(
		during.map((r) => r.prompt),
		[],
	);
	const records = jsonLines(result.stdout);
	assert.equal(records.length, 30);
	assert.equal(records[2]?.attempts, 2);
});

test('memory stays bounded on a long input: 20,000 prompts in a 40 MB heap', {
	timeout: 120_000,
}, async () => {
	const server = await mockServer();
	const dir = withFiles({ 'in.txt': prompts(20_000) });
	const result = await runCli(
		['--base-url', server.url, '-c', '64', '-q', '-f', 'jsonl', '-o', 'out.jsonl', 'in.txt'],
		{
			cwd: dir,
			// The live heap of a run at -c 64 is about 27 MB; 32 MB left so little room that a
			// loaded CI machine ran out of it.
			env: { NODE_OPTIONS: '--max-old-space-size=40' },
		},
	);
	assert.equal(result.code, 0, result.stderr.slice(0, 2000));
	assert.equal(readFileSync(join(dir, 'out.jsonl'), 'utf8').split('\n').length, 20_001);
});
