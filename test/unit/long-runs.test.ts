import assert from 'node:assert/strict';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { resumeHint } from '../../src/cli/main.ts';
import { parseHalt } from '../../src/cli/values.ts';
import { ResumeError } from '../../src/core/errors.ts';
import type { ResultRecord } from '../../src/core/types.ts';
import { shouldHalt } from '../../src/engines/realtime/halt.ts';
import { JournalWriter } from '../../src/state/journal.ts';
import {
	fileIncludes,
	fileLines,
	type Journal,
	readJournal,
} from '../../src/state/journal-reader.ts';
import { tempDir } from '../helpers/cli.ts';

const record = (index: number, error: ResultRecord['error'] = null): ResultRecord => ({
	index,
	id: index,
	file: 'f',
	line: index,
	input: `p${index}`,
	response: error ? null : `r${index}`,
	error,
	model: 'm',
	usage: null,
	finish_reason: 'stop',
	attempts: 1,
	latency_ms: 1,
	cached: false,
	batch_id: null,
	cost_usd: null,
	service_tier: null,
});
const HEADER = '{"promptbatch_journal":1}\n';
/** A request hash as the journal holds them: 64 hex digits. */
const hash = (digit: string) => digit.repeat(64);
const line = (h: string, r: ResultRecord) => `${JSON.stringify({ h: hash(h), r })}\n`;

/** Reads `text` as a journal file. */
function parseJournal(text: string, name = 'j'): Journal {
	const path = join(tempDir(), name);
	writeFileSync(path, text);
	const journal = readJournal(path);
	assert.ok(journal);
	journal.close();
	return journal;
}

/** The indexes a journal has results for. */
const indexes = (journal: Journal | undefined) =>
	Array.from({ length: journal?.entries.last ?? 0 }, (_, i) => i + 1).filter(
		(i) => journal?.entries.hash(i) !== undefined,
	);

test('readJournal: entries by index, the last one winning, each read back from the file', () => {
	const failure = { status: 500, type: 'server_error', code: null, message: 'x' };
	const text = HEADER + line('a', record(1)) + line('b', record(2, failure)) + line('b', record(2));
	const path = join(tempDir(), 'j');
	writeFileSync(path, text);
	const journal = readJournal(path);
	assert.ok(journal);
	const { entries, intactBytes } = journal;
	assert.deepEqual(indexes(journal), [1, 2]);
	assert.equal(entries.size, 2);
	assert.equal(entries.failure(2), null);
	assert.equal(entries.get(2)?.record.error, null);
	assert.equal(entries.get(2)?.record.response, 'r2');
	assert.equal(entries.get(2)?.record.input, '', 'the input file says the input again');
	assert.equal(entries.hash(1), hash('a'));
	assert.equal(entries.get(1)?.hash, hash('a'));
	assert.equal(entries.get(3), undefined);
	assert.equal(entries.failure(3), undefined);
	assert.equal(intactBytes, Buffer.byteLength(text));
	journal.close();
});

test('readJournal: how each recorded result ended, kept without the record', () => {
	const fail = (status: number | null) => ({ status, type: 't', code: null, message: 'm' });
	const { entries } = parseJournal(
		HEADER +
			line('a', record(1, fail(400))) +
			line('b', record(2, fail(null))) +
			line('c', record(3)),
	);
	assert.deepEqual(entries.failure(1), { status: 400 });
	assert.deepEqual(entries.failure(2), { status: null });
	assert.equal(entries.failure(3), null);
});

test('readJournal: a last line torn by a kill is dropped, and appending resumes before it', () => {
	const whole = HEADER + line('a', record(1)) + line('b', record(2));
	const torn = `${whole}{"h":"${hash('c')}","r":{"index":3,"resp`;
	const journal = parseJournal(torn);
	assert.deepEqual(indexes(journal), [1, 2]);
	assert.equal(journal.intactBytes, Buffer.byteLength(whole));
	// A torn line that happens to end in a newline-less valid prefix of JSON is dropped too.
	assert.equal(parseJournal(`${whole}{"h":"c"}`).entries.size, 2);
	// Multi-byte text before the tear: the byte count, not the character count.
	const unicode = HEADER + line('a', { ...record(1), response: 'héllo ✓' });
	assert.equal(parseJournal(`${unicode}{"h"`).intactBytes, Buffer.byteLength(unicode));
});

test('readJournal: a line that does not parse, or holds no hash, is skipped; a file that is not a journal is refused', () => {
	const text = `${HEADER}garbage\n${line('a', record(1))}{"h": 5, "r": {}}\n${JSON.stringify({ h: 'short', r: record(2) })}\n`;
	assert.deepEqual(indexes(parseJournal(text)), [1]);
	assert.throws(() => parseJournal('[1] some text output\n', 'out.txt.journal'), ResumeError);
	assert.throws(() => parseJournal('x\n'), /\/j is not a promptbatch journal/);
});

test('JournalWriter continues a torn journal cleanly: the tear is cut off before appending', () => {
	const path = join(tempDir(), 'out.journal');
	const writer = new JournalWriter(path);
	writer.append(hash('a'), record(1));
	writer.close();
	writeFileSync(path, `${readFileSync(path, 'utf8')}{"h":"${hash('b')}","r":{"ind`);
	const read = readJournal(path);
	assert.ok(read);
	read.close();
	const next = new JournalWriter(path, read.intactBytes);
	next.append(hash('c'), record(3));
	next.close();
	const again = readJournal(path);
	again?.close();
	assert.deepEqual(indexes(again), [1, 3]);
	assert.equal(readJournal(join(tempDir(), 'none')), undefined);
});

test('JournalWriter.together: what is appended inside is written once, when it ends, even if it throws', () => {
	const path = join(tempDir(), 'out.journal');
	const writer = new JournalWriter(path);
	writer.append(hash('a'), record(1));
	const before = readFileSync(path, 'utf8');
	writer.together(() => {
		writer.append(hash('b'), record(2));
		writer.append(hash('c'), record(3));
		assert.equal(readFileSync(path, 'utf8'), before, 'nothing written yet');
	});
	assert.throws(() =>
		writer.together(() => {
			writer.append(hash('d'), record(4));
			throw new Error('a bug mid-way');
		}),
	);
	writer.append(hash('e'), record(5));
	writer.close();
	const read = readJournal(path);
	read?.close();
	assert.deepEqual(indexes(read), [1, 2, 3, 4, 5]);
});

test('parseHalt and shouldHalt: counts, percentages of finished prompts (at least 3), never', () => {
	assert.deepEqual(parseHalt('soon,fail=3'), { when: 'soon', count: 3, text: 'soon,fail=3' });
	assert.deepEqual(parseHalt('now,fail=10%'), { when: 'now', percent: 10, text: 'now,fail=10%' });
	assert.equal(parseHalt('never'), undefined);
	for (const bad of [
		'soon',
		'later,fail=1',
		'soon,fail=0',
		'soon,fail=1.5',
		'now,fail=0%',
		'now,fail=101%',
		'soon,success=1',
	]) {
		assert.throws(() => parseHalt(bad), /invalid --halt/, bad);
	}
	const count = parseHalt('soon,fail=2');
	assert.equal(shouldHalt(count, 1, 10), false);
	assert.equal(shouldHalt(count, 2, 2), true);
	const percent = parseHalt('soon,fail=50%');
	assert.equal(shouldHalt(percent, 2, 2), false, 'too few finished to judge');
	assert.equal(shouldHalt(percent, 2, 3), true);
	assert.equal(shouldHalt(percent, 2, 5), false);
	assert.equal(shouldHalt(undefined, 100, 100), false);
});

test('resumeHint: the exact command, --resume added once, shell-quoted', () => {
	assert.equal(
		resumeHint(['-o', 'out.jsonl', '-t', "Say {{input}}, it's fine", 'in.txt'], {
			output: 'out.jsonl',
		}),
		`promptbatch: to finish the run: promptbatch -o out.jsonl -t 'Say {{input}}, it'\\''s fine' in.txt --resume`,
	);
	assert.equal(
		resumeHint(['--resume', '-o', 'o'], { output: 'o' }),
		'promptbatch: to finish the run: promptbatch --resume -o o',
	);
	assert.match(resumeHint(['x.txt'], {}), /results went to stdout/);
});

test('fileLines: whole lines across chunk boundaries, multi-byte text split between chunks, a torn tail dropped', () => {
	const dir = tempDir();
	const path = join(dir, 'lines');
	const text = `first\nsecond é✓ line\n\nthird${'x'.repeat(40)}\ntorn`;
	writeFileSync(path, text);
	for (const chunk of [1, 2, 3, 7, 64, 1 << 20]) {
		const fd = openSync(path, 'r');
		const lines = [...fileLines(fd, chunk)];
		closeSync(fd);
		assert.deepEqual(
			lines.map((l) => l.text),
			['first', 'second é✓ line', '', `third${'x'.repeat(40)}`],
			`chunks of ${chunk}`,
		);
		assert.equal(
			lines.reduce((n, l) => n + l.bytes, 0),
			Buffer.byteLength(text) - 'torn'.length,
		);
	}
	// A journal read from its file: whole lines only, and no inputs.
	const journal = join(dir, 'out.journal');
	writeFileSync(journal, `${HEADER}${line('a', record(1))}${line('b', record(2))}{"h":"c"`);
	const read = readJournal(journal);
	assert.deepEqual(indexes(read), [1, 2]);
	assert.equal(read?.entries.get(2)?.record.response, 'r2');
	assert.equal(read?.entries.get(2)?.record.input, '');
	read?.close();
	assert.equal(
		read?.intactBytes,
		Buffer.byteLength(HEADER + line('a', record(1)) + line('b', record(2))),
	);
});

test('fileIncludes: text found across window boundaries, at either end, or not at all; no file is false', () => {
	const path = join(tempDir(), 'journal');
	const text = '{"b":{"id"';
	const cases: [string, boolean][] = [
		[`${'a'.repeat(13)}${text}${'z'.repeat(9)}`, true],
		[`${text}${'z'.repeat(40)}`, true],
		[`${'a'.repeat(40)}${text}`, true],
		[`${'a'.repeat(40)}{"b":{"i${'z'.repeat(9)}`, false],
		['', false],
	];
	for (const [content, expected] of cases) {
		writeFileSync(path, content);
		// Windows of every size from 1 byte up put the text across a boundary somewhere.
		for (let window = 1; window <= 24; window++)
			assert.equal(fileIncludes(path, text, window), expected, `${content} / ${window}`);
	}
	assert.equal(fileIncludes(join(tempDir(), 'none'), text), false);
});
