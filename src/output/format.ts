import { recordJson } from '../core/record-json.ts';
import type { OutputFormat, ResultRecord } from '../core/types.ts';
import type { Destination } from './destination.ts';

/** One record as the format writes it, including its line break (and the comma for `json`). */
export function formatRecord(record: ResultRecord, format: OutputFormat, first: boolean): string {
	if (format === 'jsonl') return `${recordJson(record)}\n`;
	if (format === 'json') return `${first ? '[\n' : ',\n'}${recordJson(record)}`;
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

/** Text held before it is written: a write a record would be a system call a record. */
const BATCH_CHARS = 65_536;

/**
 * Writes records in the chosen format, and what closes it at the end. Records that come
 * together are written together: held until BATCH_CHARS of text, or the end of the current
 * turn of the event loop, whichever is first. A failed write surfaces at the next `write` or
 * at `end`.
 */
export class ResultWriter {
	readonly #destination: Destination;
	readonly #format: OutputFormat;
	#count = 0;
	#held = '';
	#flushing: Promise<void> | undefined;
	#failure: { error: unknown } | undefined;

	constructor(destination: Destination, format: OutputFormat) {
		this.#destination = destination;
		this.#format = format;
	}

	async write(record: ResultRecord): Promise<void> {
		if (this.#failure) throw this.#failure.error;
		this.#held += formatRecord(record, this.#format, this.#count === 0);
		this.#count++;
		if (this.#held.length >= BATCH_CHARS) await this.#flush();
		else
			this.#flushing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() =>
				this.#flush().catch((error: unknown) => {
					this.#failure ??= { error };
				}),
			);
	}

	async end(): Promise<void> {
		this.#held += formatEnd(this.#format, this.#count === 0);
		await this.#flush();
		if (this.#failure) throw this.#failure.error;
	}

	async #flush(): Promise<void> {
		this.#flushing = undefined;
		const text = this.#held;
		this.#held = '';
		if (text) await this.#destination.write(text);
	}
}
