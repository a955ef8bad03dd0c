import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ResponseCache } from '../../src/state/cache.ts';
import { CacheKeys } from '../../src/state/cache-keys.ts';
import { tempDir } from '../helpers/cli.ts';

const answer = (response: string) => ({
	response,
	model: 'm',
	usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
	finish_reason: 'stop',
	created: Date.now(),
});
/** A key whose first 52 bits (its `h`) are `h`. */
const key = (h: number) => `${h.toString(16).padStart(13, '0')}${'f'.repeat(51)}`;

test("a cache sees another run's answers once it renews its reading, though it knew the keys it held", async () => {
	const dir = tempDir();
	const reader = await ResponseCache.open(dir, undefined);
	const writer = await ResponseCache.open(dir, undefined);
	const now = Date.now();
	assert.equal(reader.get(key(1), now), undefined);
	writer.put(key(1), answer('one'));
	writer.close();
	assert.equal(reader.get(key(1), now + 500)?.response, 'one');
	assert.equal(reader.get(key(2), now + 500), undefined);
	reader.close();
});

test('a cache finds the answers it wrote itself, once they left its memory', async () => {
	const cache = await ResponseCache.open(tempDir(), undefined);
	assert.equal(cache.get(key(1)), undefined);
	cache.put(key(1), answer('one'));
	await sleep(400);
	assert.equal(cache.get(key(1), Date.now() + 500)?.response, 'one');
	cache.close();
});

test('the keys a database holds are read once lookups pay for it, and say which are absent', async () => {
	const dir = tempDir();
	const cache = await ResponseCache.open(dir, undefined);
	// 160 rows whose keys' first 28 bits are 1 to 160.
	for (let n = 1; n <= 160; n++) cache.put(key(n * 2 ** 24), answer(String(n)));
	cache.close();
	const db = new DatabaseSync(join(dir, 'answers.sqlite'));
	const keys = new CacheKeys(db);
	// Ten lookups pay for reading 160 rows: until then every key may be there.
	for (let i = 1; i < 10; i++) assert.equal(keys.mayHave(500 * 2 ** 24), true);
	assert.equal(keys.mayHave(500 * 2 ** 24), false);
	assert.equal(keys.mayHave(7 * 2 ** 24), true);
	assert.equal(keys.mayHave(7 * 2 ** 24 + 1), true, 'a shared 28-bit prefix is a maybe');
	assert.equal(keys.mayHave(161 * 2 ** 24), false);
	db.exec(`INSERT INTO answers (h, key, created, answer) VALUES (${161 * 2 ** 24}, 'k', 0, '{}')`);
	keys.refresh();
	assert.equal(keys.mayHave(161 * 2 ** 24), true, 'a row added since is read');
	db.close();
});
