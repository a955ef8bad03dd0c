import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bodyJson } from '../../src/core/body-json.ts';
import { Memo } from '../../src/core/memo.ts';
import type { ApiRequest } from '../../src/core/types.ts';

test('a memo is kept on its object, invisible to JSON, to spreading and to other memos', () => {
	const memo = new Memo<object, string>();
	const other = new Memo<object, string>();
	const object = { a: 1 };
	assert.equal(memo.get(object), undefined);
	memo.set(object, 'kept');
	assert.equal(memo.get(object), 'kept');
	assert.equal(other.get(object), undefined);
	assert.equal(JSON.stringify(object), '{"a":1}');
	assert.deepEqual(Object.keys(object), ['a']);
	assert.equal(memo.get({ ...object }), undefined);
});

test("a request changed by spreading gets its own body's JSON, not the one it was copied from", () => {
	const request = {
		api: 'chat',
		path: '/chat/completions',
		body: { model: 'm' },
		input: '',
		estimatedTokens: 1,
	} as ApiRequest;
	assert.equal(bodyJson(request), '{"model":"m"}');
	const flex = { ...request, body: { ...request.body, service_tier: 'flex' } };
	assert.equal(bodyJson(flex), '{"model":"m","service_tier":"flex"}');
	assert.equal(bodyJson(request), '{"model":"m"}');
});
