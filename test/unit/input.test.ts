import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { InputError } from '../../src/core/errors.ts';
import { parseRecord } from '../../src/input/records.ts';
import { formatFor } from '../../src/input/sources.ts';
import { type RawItem, splitItems } from '../../src/input/split.ts';

async function split(chunks: string[], separator: '\n' | '\0'): Promise<RawItem[]> {
	const items: RawItem[] = [];
	for await (const item of splitItems(Readable.from(chunks.map((c) => Buffer.from(c))), separator))
		items.push(item);
	return items;
}

test('splitItems: lines, CRLF, blank lines skipped but counted, no final newline, chunk boundaries', async () => {
	assert.deepEqual(await split(['a\r\n\n  \nb', 'c\nd'], '\n'), [
		{ text: 'a', line: 1 },
		{ text: 'bc', line: 4 },
		{ text: 'd', line: 5 },
	]);
	assert.deepEqual(await split([''], '\n'), []);
});

test('splitItems: a multi-byte character split across chunks stays whole', async () => {
	const bytes = Buffer.from('héllo\n');
	const items: RawItem[] = [];
	for await (const item of splitItems(
		Readable.from([bytes.subarray(0, 2), bytes.subarray(2)]),
		'\n',
	))
		items.push(item);
	assert.deepEqual(items, [{ text: 'héllo', line: 1 }]);
});

test('splitItems: a UTF-8 byte order mark at the start is dropped, even split across chunks', async () => {
	const bom = Buffer.from([0xef, 0xbb, 0xbf]);
	const items: RawItem[] = [];
	const chunks = [
		bom.subarray(0, 1),
		Buffer.concat([bom.subarray(1), Buffer.from('"first"\n\uFEFFkept\n')]),
	];
	for await (const item of splitItems(Readable.from(chunks), '\n')) items.push(item);
	assert.deepEqual(items, [
		{ text: '"first"', line: 1 },
		{ text: '\uFEFFkept', line: 2 },
	]);
});

test('splitItems: NUL-separated items keep their newlines and report the line they start on', async () => {
	assert.deepEqual(await split(['one\ntwo\0\0three', '\0\n'], '\0'), [
		{ text: 'one\ntwo', line: 1 },
		{ text: 'three', line: 2 },
	]);
});

test('formatFor: the flag wins, else .jsonl/.ndjson are JSONL, else lines', () => {
	assert.equal(formatFor('a.jsonl', undefined), 'jsonl');
	assert.equal(formatFor('A.NDJSON', undefined), 'jsonl');
	assert.equal(formatFor('a.txt', undefined), 'lines');
	assert.equal(formatFor('-', undefined), 'lines');
	assert.equal(formatFor('a.jsonl', 'lines'), 'lines');
});

test('parseRecord: every JSONL shape, and ids', () => {
	const parse = (text: string) => parseRecord({ text, line: 7 }, 'jsonl', 'in.jsonl');
	assert.deepEqual(parse('"hi"'), {
		id: undefined,
		payload: { kind: 'prompt', prompt: 'hi', fields: {} },
	});
	assert.deepEqual(parse('{"id": 9, "prompt": "p", "x": 1}').payload, {
		kind: 'prompt',
		prompt: 'p',
		fields: { id: 9, prompt: 'p', x: 1 },
	});
	assert.equal(parse('{"id": 9, "prompt": "p"}').id, 9);
	assert.equal(parse('{"custom_id": "c", "a": 1}').id, 'c');
	assert.equal(parse('{"a": 1}').payload.kind, 'fields');
	assert.equal(parse('{"messages": [{"role": "user", "content": "x"}]}').payload.kind, 'messages');
	assert.deepEqual(
		parse('{"custom_id": "r1", "method": "POST", "url": "/v1/responses", "body": {"input": "x"}}')
			.payload,
		{
			kind: 'batch',
			url: '/v1/responses',
			body: { input: 'x' },
		},
	);
	assert.deepEqual(
		parseRecord({ text: '{"not": "json here"}', line: 1 }, 'lines', 'a.txt').payload,
		{
			kind: 'prompt',
			prompt: '{"not": "json here"}',
			fields: {},
		},
	);
});

test('parseRecord: what is wrong, where, and how to fix it', () => {
	const table: [string, RegExp][] = [
		['{"a": ', /^in\.jsonl:7: invalid JSON: /],
		['42', /^in\.jsonl:7: expected a JSON string or object, got 42$/],
		['null', /got null$/],
		['{"prompt": 5}', /"prompt" must be a string, got 5/],
		['{"id": {"a": 1}, "prompt": "x"}', /"id" must be a string or a number/],
		['{"messages": []}', /"messages" must be a non-empty array/],
		['{"messages": [{"role": "user"}]}', /messages\[0\] needs a string "role" and a "content"/],
		[
			'{"method": "POST", "url": "/v1/chat/completions", "body": {}}',
			/needs a non-empty string "custom_id"/,
		],
		[
			'{"custom_id": "a", "method": "GET", "url": "/v1/chat/completions", "body": {}}',
			/needs "method": "POST", got "GET"/,
		],
		[
			'{"custom_id": "a", "method": "POST", "url": "/v1/chat/completions", "body": []}',
			/needs "body" to be a JSON object/,
		],
	];
	for (const [text, expected] of table) {
		assert.throws(
			() => parseRecord({ text, line: 7 }, 'jsonl', 'in.jsonl'),
			(error: unknown) =>
				error instanceof InputError && expected.test(error.message) && error.line === 7,
			text,
		);
	}
});
