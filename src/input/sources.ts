import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { InputError, UsageError } from '../core/errors.ts';
import type { InputFormat, PromptRecord } from '../core/types.ts';
import { parseRecord } from './records.ts';
import { splitItems } from './split.ts';

export const STDIN = '-';

/** The format of one source: the flag if given, else by extension (`.jsonl`, `.ndjson`), else lines. */
export function formatFor(path: string, explicit: InputFormat | undefined): InputFormat {
	if (explicit) return explicit;
	return /\.(jsonl|ndjson)$/i.test(path) ? 'jsonl' : 'lines';
}

/**
 * Reads the records of every source in order, numbering them from 1 across all sources.
 * Throws InputError at the first malformed record, and UsageError for a file that can't be read.
 */
export async function* readRecords(
	paths: readonly string[],
	inputFormat: InputFormat | undefined,
	stdin: Readable,
): AsyncGenerator<PromptRecord> {
	const seenIds = new Map<string | number, string>();
	let index = 0;
	for (const path of paths) {
		const format = formatFor(path, inputFormat);
		for await (const item of splitItems(
			await openSource(path, stdin),
			format === 'nul' ? '\0' : '\n',
		)) {
			const { id, payload } = parseRecord(item, format, path);
			if (id !== undefined) {
				const first = seenIds.get(id);
				if (first) {
					throw new InputError(
						path,
						item.line,
						`duplicate id ${JSON.stringify(id)} (first at ${first})`,
						'give every record its own id',
					);
				}
				seenIds.set(id, `${path}:${item.line}`);
			}
			index++;
			yield { index, file: path, line: item.line, id, payload };
		}
	}
}

async function openSource(path: string, stdin: Readable): Promise<AsyncIterable<Buffer>> {
	if (path === STDIN) return stdin;
	try {
		const handle = await open(path);
		return readChunks(path, handle.createReadStream());
	} catch (error) {
		throw unreadable(path, error);
	}
}

async function* readChunks(path: string, stream: Readable): AsyncGenerator<Buffer> {
	try {
		yield* stream;
	} catch (error) {
		throw unreadable(path, error);
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
	return new UsageError(`cannot read ${path}: ${why}`, 'check the path; use - for standard input');
}
