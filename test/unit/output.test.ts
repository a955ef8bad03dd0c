import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { collectParam } from '../../src/cli/values.ts';
import { connectionWarnings, redactor } from '../../src/core/config.ts';
import type { ResultRecord } from '../../src/core/types.ts';
import { CreationPace } from '../../src/engines/batch/pace.ts';
import { describeBatches } from '../../src/engines/batch/status.ts';
import { formatEnd, formatRecord } from '../../src/output/format.ts';
import { RunStats } from '../../src/run/stats.ts';
import { colorLevel } from '../../src/terminal/color.ts';
import { Reporter } from '../../src/terminal/progress.ts';
import { formatDuration, introText, progressText } from '../../src/terminal/progress-text.ts';

const ok: ResultRecord = {
	index: 3,
	id: 'a',
	file: '-',
	line: 3,
	input: 'q',
	response: 'line one\nline two',
	error: null,
	model: 'm',
	usage: null,
	finish_reason: 'stop',
	attempts: 1,
	latency_ms: 5,
	cached: false,
	batch_id: null,
	cost_usd: null,
	service_tier: null,
};
const failed: ResultRecord = {
	...ok,
	response: null,
	error: { status: 400, type: 't', code: null, message: 'bad' },
};

test('formatRecord: text, jsonl and the pieces of a json array', () => {
	assert.equal(formatRecord(ok, 'text', true), '[3] line one\n    line two\n');
	assert.equal(formatRecord({ ...ok, response: 'ends\n\n' }, 'text', true), '[3] ends\n');
	assert.equal(
		formatRecord({ ...ok, index: 12, response: 'a\r\n\n[7] not a record' }, 'text', true),
		'[12] a\n     \n     [7] not a record\n',
	);
	assert.equal(formatRecord(failed, 'text', false), '[3] ERROR: bad\n');
	assert.equal(formatRecord(ok, 'jsonl', true), `${JSON.stringify(ok)}\n`);
	const json =
		formatRecord(ok, 'json', true) + formatRecord(failed, 'json', false) + formatEnd('json', false);
	assert.deepEqual(JSON.parse(json), [ok, failed]);
	assert.equal(formatEnd('json', true), '[]\n');
	assert.equal(formatEnd('text', true), '');
});

test('colorLevel: a TTY only; NO_COLOR and TERM=dumb turn it off; FORCE_COLOR overrides', () => {
	const table: [boolean, Record<string, string>, number][] = [
		[true, { TERM: 'xterm' }, 1],
		[true, { TERM: 'xterm-256color' }, 2],
		[true, { COLORTERM: 'truecolor' }, 3],
		[false, { TERM: 'xterm' }, 0],
		[true, { NO_COLOR: '1' }, 0],
		[true, { NO_COLOR: '' }, 1],
		[true, { TERM: 'dumb' }, 0],
		[false, { FORCE_COLOR: '1' }, 1],
		[true, { FORCE_COLOR: '0' }, 0],
	];
	for (const [isTTY, env, level] of table)
		assert.equal(colorLevel(isTTY, env), level, JSON.stringify([isTTY, env]));
});

test('progress text and durations', () => {
	const stats = new RunStats(0);
	stats.total = 100;
	stats.ok = 20;
	stats.failed = 5;
	stats.inFlight = 8;
	stats.promptTokens = 12_000;
	stats.completionTokens = 345;
	stats.retries = 1;
	assert.equal(
		progressText(stats, 5000),
		'25% 25/100 done, 5 failed, 1 retry, 8 in flight, 5.0 req/s, 12.3k tokens, 5s elapsed, ETA 15s',
	);
	stats.pacing({ rpm: 500, tpm: 90_000 });
	stats.retries = 3;
	assert.match(progressText(stats, 5000), /, 3 retries, .*, ETA 15s, pace 500 rpm 90\.0k tpm$/);
	stats.pacing({ rpm: undefined, tpm: 30_000 });
	assert.match(progressText(stats, 5000), /, pace 30\.0k tpm$/);
	stats.total = undefined;
	stats.pace = undefined;
	assert.equal(
		progressText(stats, 5000),
		'25 done, 5 failed, 3 retries, 8 in flight, 5.0 req/s, 12.3k tokens, 5s elapsed',
	);
	stats.total = 0;
	assert.match(progressText(stats, 5000), /^100% 25\/0 done/);
	assert.equal(
		introText({
			total: 1000,
			model: 'gpt-4o-mini',
			endpoint: 'https://api.openai.com/v1/chat/completions',
			concurrency: 8,
		}),
		'starting: 1000 prompts, model gpt-4o-mini, https://api.openai.com/v1/chat/completions, concurrency 8',
	);
	assert.equal(
		introText({
			total: undefined,
			model: 'm',
			endpoint: 'the Batch API at http://x/v1 (/responses)',
		}),
		'starting: prompts from a stream, model m, the Batch API at http://x/v1 (/responses)',
	);
	assert.deepEqual([5, 75, 3725].map(formatDuration), ['5s', '1m15s', '1h02m']);
});

/** Waits for `done()` to hold, checking every few ms, for 5 s at most. */
async function until(done: () => boolean): Promise<void> {
	for (const deadline = Date.now() + 5000; !done() && Date.now() < deadline; )
		await new Promise((resolve) => setTimeout(resolve, 5));
}

function progressLines(text: string): number {
	return text.split('\n').filter((line) => line.includes('in flight')).length;
}

test('off a terminal, the reporter prints a plain progress line on each interval, and nothing when quiet', async () => {
	for (const quiet of [false, true]) {
		const stream = new PassThrough();
		let text = '';
		stream.on('data', (chunk) => {
			text += chunk;
		});
		const reporter = new Reporter({ stream, env: {}, quiet, intervalMs: 10 });
		const stats = new RunStats();
		await reporter.start(stats);
		// Two intervals' lines, however slow a loaded machine makes the timers; quiet: six intervals.
		if (quiet) await new Promise((resolve) => setTimeout(resolve, 60));
		else await until(() => progressLines(text) >= 2);
		reporter.stop();
		reporter.summary(stats, 'done');
		if (quiet) assert.equal(text, '');
		else {
			assert.match(text, /^promptbatch: 0 done, 0 failed, 0 retries, 0 in flight/);
			assert.ok(progressLines(text) >= 2);
			assert.match(text, /promptbatch: done: 0 ok, 0 failed, 0 retries/);
			assert.doesNotMatch(text, /\u001b/);
		}
	}
});

test('the reporter redacts secrets from every line', () => {
	const stream = new PassThrough();
	const reporter = new Reporter({ stream, env: {}, redact: redactor(['sk-secret-123']) });
	reporter.log('bad key sk-secret-123 given');
	assert.equal(stream.read().toString(), 'bad key [redacted] given\n');
});

test('-p key=value: JSON-typed values, strings otherwise, dots nest, repeats merge', () => {
	let params = collectParam('top_p=0.5', undefined);
	params = collectParam('stop=["\\n"]', params);
	params = collectParam('user=alice', params);
	params = collectParam('reasoning.effort=low', params);
	params = collectParam('reasoning.summary=auto', params);
	params = collectParam('flag=true', params);
	assert.deepEqual(params, {
		top_p: 0.5,
		stop: ['\n'],
		user: 'alice',
		reasoning: { effort: 'low', summary: 'auto' },
		flag: true,
	});
	assert.throws(() => collectParam('novalue', undefined), /expected key=value/);
	assert.throws(() => collectParam('=x', undefined), /expected key=value/);
});

test('connectionWarnings: plain http beyond loopback carries the key in clear', () => {
	const warn = (baseURL: string | undefined, apiKey: string | undefined = 'sk-x') =>
		connectionWarnings({ apiKey, baseURL, organization: undefined, project: undefined });
	const keyless = (baseURL: string) =>
		connectionWarnings({ apiKey: undefined, baseURL, organization: undefined, project: undefined });
	assert.match(
		warn('http://gpu-box:8000/v1')[0] ?? '',
		/plain http: the API key travels in clear text/,
	);
	assert.deepEqual(warn('https://gpu-box/v1'), []);
	assert.deepEqual(warn('http://localhost:8000/v1'), []);
	assert.deepEqual(warn('http://127.0.0.2:8000/v1'), []);
	assert.deepEqual(warn('http://[::1]:8000/v1'), []);
	assert.deepEqual(keyless('http://gpu-box:8000/v1'), [], 'no key, nothing to leak');
	assert.deepEqual(warn(undefined), []);
});

test('redactor: every form of a secret, trimmed or not', () => {
	const redact = redactor([' sk-secret-123\n']);
	assert.equal(redact('a sk-secret-123 b'), 'a [redacted] b');
	assert.equal(redact('raw  sk-secret-123\n!'), 'raw [redacted]!');
	assert.match(redact(Buffer.from('sk-secret-123').toString('base64')), /^\[redacted\]=*$/);
});

test('describeBatches: each batch and the whole run; finalizing is never shown as done', () => {
	const info = (id: string, status: string, completed: number, failed: number, total: number) =>
		[
			id,
			{
				id,
				status,
				outputFileId: undefined,
				errorFileId: undefined,
				counts: { total, completed, failed },
				errors: [],
				metadata: {},
			},
		] as const;
	const batches = new Map([
		info('batch_a', 'in_progress', 100, 2, 500),
		info('batch_b', 'finalizing', 300, 0, 300),
	]);
	assert.equal(
		describeBatches(batches, 250_000),
		'batch_a in_progress 100 completed, 2 failed of 500, batch_b finalizing; 402/800 done, 2 failed; elapsed 4m10s',
	);
});

test('off a terminal, a status is printed when it changes, not on every interval', async () => {
	const stream = new PassThrough();
	let text = '';
	stream.on('data', (chunk) => {
		text += chunk;
	});
	const reporter = new Reporter({ stream, env: {}, intervalMs: 10 });
	reporter.status('batch_a validating');
	await reporter.start(new RunStats());
	await until(() => text.includes('validating'));
	// Several intervals with nothing new say nothing.
	await new Promise((resolve) => setTimeout(resolve, 60));
	reporter.status('batch_a in_progress 1/2');
	await until(() => text.includes('in_progress'));
	reporter.stop();
	assert.deepEqual(text.trim().split('\n'), [
		'promptbatch: batch_a validating',
		'promptbatch: batch_a in_progress 1/2',
	]);
});

test('CreationPace: at most the hourly limit of batch creations, then wait for the oldest to age out', () => {
	const pace = new CreationPace(3);
	for (const at of [0, 1000, 2000]) {
		assert.equal(pace.delay(at), 0);
		pace.created(at);
	}
	assert.equal(
		pace.delay(3000),
		3_600_000 - 3000,
		'the fourth waits for the first to be an hour old',
	);
	assert.equal(pace.delay(3_600_000), 0);
});
