import { constants, createReadStream, openSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { InputError, UsageError } from '../core/errors.ts';
import { shellQuote } from '../core/text.ts';
import type { InputFormat, PromptRecord, RecordId } from '../core/types.ts';
import { jsonArrayRecords } from './json-array.ts';
import { parseRecord } from './records.ts';
import type { SourceRecord } from './source-record.ts';
import { splitItems } from './split.ts';

export const STDIN = '-';

/** Names of standard input: a socket there (as Node spawns children with) can't be reopened. */
const STDIN_NAMES = new Set([STDIN, '/dev/stdin', '/dev/fd/0', '/proc/self/fd/0']);

const BY_EXTENSION: readonly [RegExp, InputFormat][] = [
	[/\.(jsonl|ndjson)$/i, 'jsonl'],
	[/\.json$/i, 'json'],
	[/\.csv$/i, 'csv'],
	[/\.(tsv|tab)$/i, 'tsv'],
];

/** The format of one source: the flag if given, else by extension, else lines. */
export function formatFor(path: string, explicit: InputFormat | undefined): InputFormat {
	if (explicit) return explicit;
	return BY_EXTENSION.find(([pattern]) => pattern.test(path))?.[1] ?? 'lines';
}

/**
 * Whether a source can only be read once: stdin, a pipe (`<(...)`, `/dev/stdin`), a FIFO, a
 * device. Such a source is checked as it streams instead of before the run.
 */
export function readsOnce(path: string): boolean {
	if (STDIN_NAMES.has(path)) return true;
	try {
		const stats = statSync(path);
		return stats.isFIFO() || stats.isSocket() || stats.isCharacterDevice();
	} catch {
		// Opening it will say what is wrong.
		return false;
	}
}

/**
 * Reads the records of every source in order, numbering them from 1 across all sources.
 * Throws InputError at the first malformed record, and UsageError for a file that can't be read.
 * When `close` aborts, the source being read is closed, so that a read blocked on a silent
 * pipe ends and nothing keeps the process alive (stdin is the caller's to close).
 */
export async function* readRecords(
	paths: readonly string[],
	inputFormat: InputFormat | undefined,
	stdin: Readable,
	close?: AbortSignal,
): AsyncGenerator<PromptRecord> {
	const seenIds = new Map<string, string>();
	let index = 0;
	for (const path of paths) {
		const chunks = await openSource(path, stdin, close);
		for await (const { line, id, payload } of sourceRecords(
			path,
			formatFor(path, inputFormat),
			chunks,
		)) {
			if (id !== undefined) {
				const key = idKey(id);
				const first = seenIds.get(key);
				if (first) {
					throw new InputError(
						path,
						line,
						`duplicate id ${JSON.stringify(id)} (first at ${first})`,
						'give every record its own id',
					);
				}
				seenIds.set(key, `${path}:${line}`);
			}
			index++;
			yield { index, file: path, line, id, payload };
		}
	}
}

async function* sourceRecords(
	path: string,
	format: InputFormat,
	chunks: AsyncIterable<Buffer>,
): AsyncGenerator<SourceRecord> {
	if (format === 'json') yield* jsonArrayRecords(chunks, path);
	else if (format === 'csv' || format === 'tsv') {
		// The CSV parser is loaded only by runs that read CSV: the rest don't pay its memory.
		const { csvRecords } = await import('./csv.ts');
		yield* csvRecords(chunks, path, format === 'csv' ? ',' : '\t');
	} else yield* lineRecords(path, format, chunks);
}

async function* lineRecords(
	path: string,
	format: 'lines' | 'nul' | 'jsonl',
	chunks: AsyncIterable<Buffer>,
): AsyncGenerator<SourceRecord> {
	for await (const item of splitItems(chunks, format === 'nul' ? '\0' : '\n', path))
		yield { line: item.line, ...parseRecord(item, format, path) };
}

/** Ids compare by what was written: the string "7" and the number 7 are two ids. */
function idKey(id: RecordId): string {
	return typeof id === 'string' ? `s${id}` : `n${typeof id === 'number' ? id : id.rawJSON}`;
}

async function openSource(
	path: string,
	stdin: Readable,
	close: AbortSignal | undefined,
): Promise<AsyncIterable<Buffer>> {
	if (STDIN_NAMES.has(path)) return stdin;
	let stream: Readable;
	try {
		stream = readsOnce(path) ? openOnce(path) : (await open(path)).createReadStream();
	} catch (error) {
		throw unreadable(path, error);
	}
	const onClose = () => stream.destroy();
	close?.addEventListener('abort', onClose, { once: true });
	stream.once('close', () => close?.removeEventListener('abort', onClose));
	return readChunks(path, stream);
}

/**
 * A pipe or FIFO is read without blocking a thread: a blocking read would keep the process
 * alive after a stop for as long as the writer stays silent. It is opened non-blocking, so that
 * a FIFO with no writer yet doesn't block the open either; reading waits for the writer.
 */
function openOnce(path: string): Readable {
	const stats = statSync(path);
	if (!stats.isFIFO() && !stats.isSocket()) return createReadStream(path);
	const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
	return new Socket({ fd, readable: true, writable: false });
}

async function* readChunks(path: string, stream: Readable): AsyncGenerator<Buffer> {
	try {
		yield* stream;
	} catch (error) {
		throw unreadable(path, error);
	} finally {
		stream.destroy();
	}
}

function unreadable(path: string, error: unknown): UsageError {
	const code = (error as NodeJS.ErrnoException).code;
	const why =
		code === 'ENOENT'
			? 'no such file'
			: code === 'EISDIR'
				? 'it is a directory'
				: (error as Error).message;
	// `promptbatch "What is 2+2?"`: a prompt given where a file goes.
	if (code === 'ENOENT' && /\s/.test(path.trim()))
		return new UsageError(
			`cannot read ${path}: no such file (arguments are files of prompts)`,
			`to send one prompt, pipe it in: echo ${shellQuote(path)} | promptbatch`,
		);
	return new UsageError(`cannot read ${path}: ${why}`, 'check the path; use - for standard input');
}
