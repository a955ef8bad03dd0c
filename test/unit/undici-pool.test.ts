import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { undiciPool } from '../../src/http/undici-pool.ts';

/** Node's list of the modules it has loaded, its own included (not in its types). */
const http2Loaded = () =>
	(process as unknown as { moduleLoadList: string[] }).moduleLoadList.includes(
		'NativeModule http2',
	);

test("undici's pool loads without its HTTP/2 client; a stand-in loads it if ever called", () => {
	assert.equal(http2Loaded(), false, 'nothing loaded node:http2 before the test');
	const { Agent, send } = undiciPool();
	assert.equal(typeof Agent, 'function');
	assert.equal(typeof send, 'function');
	assert.equal(http2Loaded(), false, 'loading the pool left node:http2 alone');

	const require = createRequire(import.meta.url);
	const standIn = require('undici/lib/dispatcher/client-h2.js');
	assert.equal(standIn.name, 'connectH2');
	// Called (undici would, for a server that negotiated HTTP/2), it hands the call to the real
	// client, which fails here on arguments that are no client and socket.
	assert.throws(() => standIn(undefined, undefined));
	assert.equal(http2Loaded(), true);
	assert.notEqual(require('undici/lib/dispatcher/client-h2.js'), standIn, 'the real one is cached');
});
