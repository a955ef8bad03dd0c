import assert from 'node:assert/strict';
import { test } from 'node:test';
import { streamLines } from '../../src/http/stream-lines.ts';

async function lines(chunks: readonly (string | Buffer)[], max = 1024): Promise<string[]> {
	const out: string[] = [];
	const source = (async function* () {
		for (const chunk of chunks) yield Buffer.from(chunk);
	})();
	for await (const line of streamLines(source, max, () => new Error('too long'))) out.push(line);
	return out;
}

test('streamLines: lines across chunks, CRLF, blank lines skipped, a last line without its end', async () => {
	const euro = Buffer.from('€');
	const cases: [readonly (string | Buffer)[], string[]][] = [
		[['a\nb\n'], ['a', 'b']],
		[
			['a', 'b\r\n', '\n', 'c'],
			['ab', 'c'],
		],
		[
			['x\r', '\ny\n'],
			['x', 'y'],
		],
		[[Buffer.from('p'), euro.subarray(0, 1), euro.subarray(1), Buffer.from('q\n')], ['p€q']],
		[['  \n\n'], []],
		[[], []],
	];
	for (const [chunks, expected] of cases)
		assert.deepEqual(await lines(chunks), expected, JSON.stringify(chunks));
});

test('streamLines: a line past the limit throws, whether it comes in one chunk or many', async () => {
	await assert.rejects(lines(['0123456789\n'], 8), /too long/);
	await assert.rejects(lines(['0123', '4567', '89'], 8), /too long/);
	assert.deepEqual(await lines(['01234567\n', '0123', '4567\n'], 8), ['01234567', '01234567']);
});
