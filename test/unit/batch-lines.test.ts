import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ApiRequest } from '../../src/core/types.ts';
import { batchLine, shardItems } from '../../src/engines/batch/lines.ts';

const request = (body: Record<string, unknown>, path: ApiRequest['path'] = '/chat/completions') =>
	({ api: 'chat', path, body, input: '', estimatedTokens: 10 }) as ApiRequest;

test('a batch line is byte for byte what JSON.stringify makes of it, the body serialized once', () => {
	const bodies: Record<string, unknown>[] = [
		{ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] },
		{
			model: 'm',
			messages: [{ role: 'user', content: 'quotes " and \\ and \n newline \u2028 é 😀' }],
		},
		{ model: 'm', input: 'x', max_output_tokens: 5, metadata: { a: null, b: [1.5, true] } },
	];
	for (const [n, body] of bodies.entries()) {
		const item = { index: n + 1, request: request(body, n === 2 ? '/responses' : undefined) };
		const line = batchLine('a1b2c3d4', item);
		assert.equal(
			line,
			JSON.stringify({
				custom_id: `pb-a1b2c3d4-${n + 1}`,
				method: 'POST',
				url: n === 2 ? '/v1/responses' : '/v1/chat/completions',
				body,
			}),
		);
		assert.deepEqual(JSON.parse(line).body, body);
	}
});

test('shards are cut by the bytes of the lines as written', () => {
	const items = Array.from({ length: 10 }, (_, i) => ({
		index: i + 1,
		request: request({ model: 'm', messages: [{ role: 'user', content: `prompt ${i}` }] }),
	}));
	const size = Buffer.byteLength(batchLine('r', items[0] as (typeof items)[0])) + 1;
	const shards = shardItems('r', items, { lines: 100, bytes: size * 3 });
	assert.deepEqual(
		shards.map((shard) => shard.items.length),
		[3, 3, 3, 1],
	);
});
