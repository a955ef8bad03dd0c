import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonLines, prompts, reportLoads, runCli } from '../helpers/cli.ts';
import { mockServer } from '../helpers/server.ts';

test("a realtime run loads neither the SDK's client nor undici's index: megabytes it never uses", async () => {
	const server = await mockServer();
	const heavy = /undici\/index\.js$|openai\/(index|client)\.mjs$/;
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
