import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { ResumeError } from '../core/errors.ts';
import { isResultRecord } from '../core/shapes.ts';
import type { ResultRecord } from '../core/types.ts';
import { type BatchNote, JOURNAL_HEADER } from './journal.ts';

/** One recorded result: the hash of the request that produced it, and the result. */
export interface JournalEntry {
	readonly hash: string;
	readonly record: ResultRecord;
}

/** How a recorded result ended: null for a success, else its failure's HTTP status, if any. */
export type RecordedFailure = { readonly status: number | null } | null;

/** A request hash: sha-256, in hex. */
const HASH = /^[0-9a-f]{64}$/;

/** How much of the journal one read brings in for the records asked for next. */
const WINDOW_BYTES = 256 * 1024;

/** An outcome byte that says "no HTTP status": statuses are 100 to 599. */
const NO_STATUS = 1;

/**
 * The results an earlier run recorded, by prompt index, kept as where each is in the journal,
 * its request hash and how it ended: 45 bytes a prompt, where the records themselves took a
 * few kilobytes (a resumed run of a million prompts held gigabytes). A record is read from the
 * file again when it is asked for, once, as its prompt's output is written. For each index the
 * last entry wins (a retried failure is followed by its success).
 */
export class JournalEntries {
	readonly #fd: number;
	#offsets = new Float64Array(1024);
	#lengths = new Uint32Array(1024);
	/** 0: a success; else the failure's HTTP status, or NO_STATUS. */
	#outcomes = new Uint16Array(1024);
	#hashes = new Uint8Array(1024 * 32);
	#size = 0;
	#last = 0;
	/**
	 * The part of the file read last. Results are journaled in about the order they are output
	 * (by index), so one read of a window serves the records of many prompts.
	 */
	#window = Buffer.alloc(0);
	#windowStart = 0;

	constructor(fd: number) {
		this.#fd = fd;
	}

	/** How many prompts have a result, and the highest index with one. */
	get size(): number {
		return this.#size;
	}

	get last(): number {
		return this.#last;
	}

	/** The hash of the request recorded at `index`, if any. */
	hash(index: number): string | undefined {
		if (!this.#has(index)) return undefined;
		return Buffer.from(this.#hashes.buffer, index * 32, 32).toString('hex');
	}

	/** How the result recorded at `index` ended; undefined when there is none. */
	failure(index: number): RecordedFailure | undefined {
		if (!this.#has(index)) return undefined;
		const outcome = this.#outcomes[index] as number;
		return outcome === 0 ? null : { status: outcome === NO_STATUS ? null : outcome };
	}

	/** The entry recorded at `index`, read from the journal (its `input` left empty). */
	get(index: number): JournalEntry | undefined {
		if (!this.#has(index)) return undefined;
		const length = this.#lengths[index] as number;
		const offset = this.#offsets[index] as number;
		let at = offset - this.#windowStart;
		if (at < 0 || at + length > this.#window.length) {
			this.#window = Buffer.allocUnsafe(Math.max(WINDOW_BYTES, length));
			const read = readSync(this.#fd, this.#window, 0, this.#window.length, offset);
			this.#window = this.#window.subarray(0, read);
			this.#windowStart = offset;
			at = 0;
		}
		const text = this.#window.toString('utf8', at, at + length);
		const { h, r } = JSON.parse(text) as { h: string; r: ResultRecord };
		(r as { input: ResultRecord['input'] }).input = '';
		return { hash: h, record: r };
	}

	/** Closes the journal file the entries are read from. */
	close(): void {
		closeSync(this.#fd);
	}

	add(index: number, offset: number, length: number, hash: string, record: ResultRecord): void {
		if (index >= this.#offsets.length) this.#grow(index);
		if (!this.#has(index)) this.#size++;
		this.#last = Math.max(this.#last, index);
		this.#offsets[index] = offset;
		this.#lengths[index] = length;
		const status = record.error?.status;
		this.#outcomes[index] =
			record.error === null
				? 0
				: typeof status === 'number' && status >= 100 && status < 600
					? status
					: NO_STATUS;
		this.#hashes.set(Buffer.from(hash, 'hex'), index * 32);
	}

	#has(index: number): boolean {
		return Number.isInteger(index) && index > 0 && (this.#offsets[index] ?? 0) > 0;
	}

	#grow(index: number): void {
		let capacity = this.#offsets.length;
		while (capacity <= index) capacity *= 2;
		const grown = <T extends Float64Array | Uint32Array | Uint16Array | Uint8Array>(
			old: T,
			make: new (n: number) => T,
			width = 1,
		) => {
			const next = new make(capacity * width);
			next.set(old);
			return next;
		};
		this.#offsets = grown(this.#offsets, Float64Array);
		this.#lengths = grown(this.#lengths, Uint32Array);
		this.#outcomes = grown(this.#outcomes, Uint16Array);
		this.#hashes = grown(this.#hashes, Uint8Array, 32);
	}
}

/** What a journal holds: results by prompt index, batch notes, and where appending may go on. */
export interface Journal {
	readonly entries: JournalEntries;
	readonly batches: BatchNote[];
	readonly intactBytes: number;
	/** Closes the file its entries are read from: once the run is over. */
	close(): void;
}

/** A prompt index a journal can hold: a journal is ours, but a flipped bit is no reason to fail. */
const MAX_INDEX = 2 ** 31;

/**
 * The journal beside `output`, or undefined when there is none yet: no file, or one whose
 * header a full disk or a kill cut short, before any result was recorded. A last line torn by
 * a kill is dropped; so is any line that does not parse. `intactBytes` is where appending may
 * safely continue. The file stays open for the entries' records until `close()`.
 */
export function readJournal(path: string): Journal | undefined {
	let fd: number;
	try {
		fd = openSync(path, 'r');
	} catch (error) {
		if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
		throw new ResumeError(`cannot read ${path}: ${(error as Error).message}`);
	}
	try {
		const size = fstatSync(fd).size;
		if (size < JOURNAL_HEADER.length) {
			const start = Buffer.alloc(size);
			readSync(fd, start, 0, size, 0);
			if (JOURNAL_HEADER.startsWith(start.toString('utf8'))) {
				closeSync(fd);
				return undefined;
			}
		}
		const entries = new JournalEntries(fd);
		const batches: BatchNote[] = [];
		let intactBytes = 0;
		for (const { text: line, bytes } of fileLines(fd)) {
			if (intactBytes === 0 && `${line}\n` !== JOURNAL_HEADER) break;
			const offset = intactBytes;
			intactBytes += bytes;
			if (offset === 0 || line === '') continue;
			try {
				const { h, r, b } = JSON.parse(line) as { h: unknown; r: unknown; b: unknown };
				if (typeof h === 'string' && HASH.test(h) && isResultRecord(r)) {
					if (r.index > 0 && r.index < MAX_INDEX) entries.add(r.index, offset, bytes - 1, h, r);
				} else if (b && typeof b === 'object') batches.push(b as BatchNote);
			} catch {
				// A crash mid-write makes a bad line; its prompt is simply sent again.
			}
		}
		if (intactBytes === 0)
			throw new ResumeError(
				`${path} is not a promptbatch journal`,
				'move it away, or choose another -o',
			);
		return { entries, batches, intactBytes, close: () => entries.close() };
	} catch (error) {
		closeSync(fd);
		if (error instanceof ResumeError) throw error;
		throw new ResumeError(`cannot read ${path}: ${(error as Error).message}`);
	}
}

/**
 * The whole lines of a file, read in chunks: a journal of millions of results is larger than
 * the longest string V8 can make (512 MB), so it is never read as one.
 */
export function* fileLines(
	fd: number,
	chunkBytes = 1 << 20,
): Generator<{ text: string; bytes: number }> {
	const buffer = Buffer.allocUnsafe(chunkBytes);
	let carry: Buffer[] = [];
	let position = 0;
	for (;;) {
		const read = readSync(fd, buffer, 0, chunkBytes, position);
		if (read === 0) return;
		position += read;
		let start = 0;
		for (
			let end = buffer.indexOf(10, 0);
			end !== -1 && end < read;
			end = buffer.indexOf(10, start)
		) {
			const piece = buffer.subarray(start, end);
			const whole = carry.length > 0 ? Buffer.concat([...carry, piece]) : piece;
			carry = [];
			yield { text: whole.toString('utf8'), bytes: whole.length + 1 };
			start = end + 1;
		}
		// The rest has no newline yet; at the end of the file, it is a line a kill tore.
		if (start < read) carry.push(Buffer.from(buffer.subarray(start, read)));
	}
}

/**
 * Whether the file at `path` holds `text`, read a window at a time: a journal can be larger than
 * a string can hold (512 MB), and reading it whole to learn that would hold all of it in memory.
 * False when there is no such file, or it can't be read.
 */
export function fileIncludes(path: string, text: string, windowBytes = WINDOW_BYTES): boolean {
	let fd: number;
	try {
		fd = openSync(path, 'r');
	} catch {
		return false;
	}
	try {
		const needle = Buffer.from(text);
		const buffer = Buffer.allocUnsafe(windowBytes + needle.length);
		// The end of the last window is kept before the next: the text may straddle the two.
		let kept = 0;
		for (let position = 0; ; ) {
			const read = readSync(fd, buffer, kept, windowBytes, position);
			if (read === 0) return false;
			position += read;
			const end = kept + read;
			if (buffer.subarray(0, end).includes(needle)) return true;
			kept = Math.min(needle.length - 1, end);
			buffer.copy(buffer, 0, end - kept, end);
		}
	} catch {
		return false;
	} finally {
		closeSync(fd);
	}
}
