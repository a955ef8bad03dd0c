import { once } from 'node:events';
import { parse } from 'csv-parse';
import { InputError } from '../core/errors.ts';
import { decodeUtf8 } from './decode.ts';
import type { SourceRecord } from './source-record.ts';

const HINT =
	'the first row names the fields; quote a field that holds the delimiter, a quote or a line break: "say ""hi"", then go"';

/**
 * The `csv` and `tsv` formats, through csv-parse: the header row names the fields, each row
 * after it is one prompt (its `prompt` column, or the template filled from its fields; an `id`
 * column is its id). Quoted fields may hold delimiters, quotes and line breaks.
 */
export async function* csvRecords(
	chunks: AsyncIterable<Buffer | Uint8Array>,
	file: string,
	delimiter: ',' | '\t',
): AsyncGenerator<SourceRecord> {
	const parser = parse({
		delimiter,
		columns: (header: string[]) => checkHeader(header, file),
		info: true,
		skip_empty_lines: true,
	});
	const feed = async () => {
		for await (const text of decodeUtf8(chunks, file))
			if (!parser.write(text)) await once(parser, 'drain');
		parser.end();
	};
	feed().catch((error: unknown) => parser.destroy(error as Error));
	// csv-parse says where a record ends; it starts after the one before and any blank lines.
	let previousEnd = 1;
	let blank = 0;
	try {
		for await (const { record, info } of parser as AsyncIterable<{
			record: Record<string, string>;
			info: { lines: number; empty_lines: number };
		}>) {
			const line = previousEnd + 1 + (info.empty_lines - blank);
			previousEnd = info.lines;
			blank = info.empty_lines;
			const id = Object.hasOwn(record, 'id') && record.id !== '' ? record.id : undefined;
			yield {
				line,
				id,
				payload: Object.hasOwn(record, 'prompt')
					? { kind: 'prompt', prompt: record.prompt as string, fields: record }
					: { kind: 'fields', fields: record },
			};
		}
	} catch (error) {
		if (error instanceof InputError) throw error;
		const { code, lines, message } = error as { code?: string; lines?: number; message: string };
		if (!code?.startsWith('CSV_')) throw error;
		throw new InputError(file, lines ?? previousEnd + 1, message.replace(/ at line \d+/, ''), HINT);
	}
}

function checkHeader(header: string[], file: string): string[] {
	const seen = new Set<string>();
	for (const name of header) {
		if (name.trim() === '' || seen.has(name)) {
			throw new InputError(
				file,
				1,
				name.trim() === ''
					? 'the header row has an empty field name'
					: `the header row names "${name}" twice`,
				HINT,
			);
		}
		seen.add(name);
	}
	return header;
}
