import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { ResultRecord } from './record.ts';

export type OutputFormat = 'text' | 'json' | 'jsonl';

/** One record as the format writes it, including its line break (and the comma for `json`). */
export function formatRecord(record: ResultRecord, format: OutputFormat, first: boolean): string {
	if (format === 'jsonl') return `${JSON.stringify(record)}\n`;
	if (format === 'json') return `${first ? '[\n' : ',\n'}${JSON.stringify(record)}`;
	const body = record.error ? `ERROR: ${record.error.message}` : (record.response ?? '');
	return `[${record.index}] ${body}${body.endsWith('\n') ? '' : '\n'}`;
}

/** What closes the output once every record is written. */
export function formatEnd(format: OutputFormat, empty: boolean): string {
	if (format !== 'json') return '';
	return empty ? '[]\n' : '\n]\n';
}

/** Writes records to a stream, waiting for it to drain so a slow reader holds us back. */
export class ResultWriter {
	readonly #stream: Writable;
	readonly #format: OutputFormat;
	#count = 0;

	constructor(stream: Writable, format: OutputFormat) {
		this.#stream = stream;
		this.#format = format;
	}

	get count(): number {
		return this.#count;
	}

	async write(record: ResultRecord): Promise<void> {
		const text = formatRecord(record, this.#format, this.#count === 0);
		this.#count++;
		if (!this.#stream.write(text)) await once(this.#stream, 'drain');
	}

	async end(): Promise<void> {
		const tail = formatEnd(this.#format, this.#count === 0);
		if (tail && !this.#stream.write(tail)) await once(this.#stream, 'drain');
	}
}
