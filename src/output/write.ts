import { once } from 'node:events';
import { closeSync, openSync, writeSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { FatalRunError, UsageError } from '../errors.ts';
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

/** Where formatted text goes: stdout, or a file. */
export interface Destination {
	write(text: string): void | Promise<void>;
	close(): void | Promise<void>;
}

/** A stream (stdout), waited on when full so that a slow reader holds the run back. */
export function streamDestination(stream: Writable): Destination {
	return {
		async write(text) {
			if (!stream.write(text)) await once(stream, 'drain');
		},
		close() {},
	};
}

/**
 * A file, truncated now (so an unwritable path is refused before anything is sent) and written
 * synchronously, so that a failure (a full disk) surfaces at the record that met it.
 */
export function fileDestination(path: string): Destination {
	let fd: number;
	try {
		fd = openSync(path, 'w');
	} catch (error) {
		throw new UsageError(
			`cannot write ${path}: ${(error as Error).message}`,
			'check that its directory exists and is writable',
		);
	}
	return {
		write(text) {
			try {
				writeSync(fd, text);
			} catch (error) {
				throw new FatalRunError(
					`cannot write ${path}: ${(error as Error).message}`,
					'make room or fix permissions, then rerun with --resume',
				);
			}
		},
		close() {
			try {
				closeSync(fd);
			} catch (error) {
				throw new FatalRunError(
					`cannot write ${path}: ${(error as Error).message}`,
					'make room or fix permissions, then rerun with --resume',
				);
			}
		},
	};
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
