import type { OutputFormat, ResultRecord } from '../core/types.ts';
import type { Destination } from './destination.ts';

/** One record as the format writes it, including its line break (and the comma for `json`). */
export function formatRecord(record: ResultRecord, format: OutputFormat, first: boolean): string {
	if (format === 'jsonl') return `${JSON.stringify(record)}\n`;
	if (format === 'json') return `${first ? '[\n' : ',\n'}${JSON.stringify(record)}`;
	const body = record.error ? `ERROR: ${record.error.message}` : (record.response ?? '');
	const tag = `[${record.index}] `;
	// Continuation lines are indented, as git log does, so that only a record's first line
	// starts with "[N] ": an answer holding "[7] ..." can't pass for record 7.
	const indent = ' '.repeat(tag.length);
	return `${tag}${body
		.replace(/(\r?\n)+$/, '')
		.split(/\r?\n/)
		.join(`\n${indent}`)}\n`;
}

/** What closes the output once every record is written. */
export function formatEnd(format: OutputFormat, empty: boolean): string {
	if (format !== 'json') return '';
	return empty ? '[]\n' : '\n]\n';
}

/** Writes records in the chosen format, and what closes it at the end. */
export class ResultWriter {
	readonly #destination: Destination;
	readonly #format: OutputFormat;
	#count = 0;

	constructor(destination: Destination, format: OutputFormat) {
		this.#destination = destination;
		this.#format = format;
	}

	async write(record: ResultRecord): Promise<void> {
		const text = formatRecord(record, this.#format, this.#count === 0);
		this.#count++;
		await this.#destination.write(text);
	}

	async end(): Promise<void> {
		const tail = formatEnd(this.#format, this.#count === 0);
		if (tail) await this.#destination.write(tail);
	}
}
