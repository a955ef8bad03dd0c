import assert from 'node:assert/strict';
import { test } from 'node:test';
import { errorFromBody } from '../../src/http/error-body.ts';

test('errorFromBody: the message of every shape servers write errors in', () => {
	const table: [string, ReturnType<typeof errorFromBody>][] = [
		[
			'{"error": {"message": "bad model", "type": "invalid_request_error", "code": "model_not_found", "param": "model"}}',
			{
				message: 'bad model',
				type: 'invalid_request_error',
				code: 'model_not_found',
				param: 'model',
			},
		],
		[
			'{"error": {"message": "no credits", "code": 402}}',
			{ message: 'no credits', type: undefined, code: '402', param: undefined },
		],
		['{"detail": "Model not found"}', { message: 'Model not found' }],
		[
			'{"detail": [{"loc": ["body", "x"], "msg": "field required"}]}',
			{ message: 'field required' },
		],
		[
			'{"object": "error", "message": "max_tokens too large", "type": "BadRequestError", "code": 400}',
			{ message: 'max_tokens too large', type: 'BadRequestError', code: '400', param: undefined },
		],
		[
			'[{"error": {"code": 400, "message": "API key not valid", "status": "INVALID_ARGUMENT"}}]',
			{ message: 'API key not valid', type: undefined, code: '400', param: undefined },
		],
		['{"error": "rate limited"}', { message: 'rate limited' }],
		['Internal Server Error', { message: 'Internal Server Error' }],
		['', { message: 'no body' }],
	];
	for (const [body, expected] of table) assert.deepEqual(errorFromBody(body), expected, body);
});
