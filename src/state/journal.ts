import {
	closeSync,
	fchmodSync,
	fdatasync,
	fdatasyncSync,
	fstatSync,
	openSync,
	readSync,
	truncateSync,
	writeSync,
} from 'node:fs';
import { FatalRunError, ResumeError } from '../core/errors.ts';
import { recordJson } from '../core/record-json.ts';
import { isResultRecord } from '../core/shapes.ts';
import type { ResultRecord } from '../core/types.ts';

/**
 * The journal is what makes a killed run resumable: `FILE.journal`, JSON lines, one for every
 * result as it arrives (in any order), with the hash of the request that produced it. The
 * output file is rebuilt from it on `--resume`, so it is the durable truth and the output a view.
 */
export interface JournalEntry {
	readonly hash: string;
	readonly record: ResultRecord;
}

const HEADER = '{"promptbatch_journal":1}\n';

export function journalPath(output: string): string {
	return `${output}.journal`;
}

/**
 * What the journal says of the run's batches (`--batch`): its tag (the middle of every
 * `custom_id`), each batch created with the prompts it holds, and each whose results are all
 * recorded. A batch created and not collected is still the run's, and a rerun reattaches to it.
 */
export type BatchNote =
	| { readonly run: string }
	/** `--batch-deadline`: when (epoch ms) batches still running are cancelled, finished by flex. */
	| { readonly deadline: number }
	/** About to upload and create a batch of these prompts, its lines hashing to `shard`. */
	| { readonly intent: string; readonly indexes: readonly number[] }
	| { readonly id: string; readonly indexes: readonly number[] }
	/** Every result of batch `collected` is recorded; `refused`: it ran nothing (a full queue). */
	| { readonly collected: string; readonly refused?: boolean };

/** How many batches that ran each prompt were created: its submissions so far. */
export function submissions(notes: readonly BatchNote[]): Map<number, number> {
	const refused = new Set(
		notes.flatMap((n) => ('collected' in n && n.refused ? [n.collected] : [])),
	);
	const counts = new Map<number, number>();
	for (const note of notes) {
		if (!('id' in note) || refused.has(note.id)) continue;
		for (const index of note.indexes) counts.set(index, (counts.get(index) ?? 0) + 1);
	}
	return counts;
}

/** The batches a journal names as created and not yet collected: still the run's. */
export function pendingBatches(
	notes: readonly BatchNote[],
): { readonly id: string; readonly indexes: readonly number[] }[] {
	const collected = new Set(notes.flatMap((note) => ('collected' in note ? [note.collected] : [])));
	return notes.flatMap((note) => ('id' in note && !collected.has(note.id) ? [note] : []));
}

/** The run's tag, when the journal has one: every `custom_id` of its batches holds it. */
export function runTag(previous: readonly BatchNote[]): string | undefined {
	for (const note of previous) if ('run' in note) return note.run;
	return undefined;
}

/** `--batch-deadline` as the run that set it fixed it (epoch ms). */
export function journalDeadline(previous: readonly BatchNote[]): number | undefined {
	for (const note of previous) if ('deadline' in note) return note.deadline;
	return undefined;
}

/**
 * Shards whose creation was intended and never recorded: a crash came between the two, and
 * the batch may exist. Only a look at the account's batches can tell.
 */
export function unsureBatches(
	notes: readonly BatchNote[],
): { readonly intent: string; readonly indexes: readonly number[] }[] {
	const created = new Set(notes.flatMap((note) => ('id' in note ? note.indexes : [])));
	return notes.flatMap((note) =>
		'intent' in note && !note.indexes.every((index) => created.has(index)) ? [note] : [],
	);
}

/** What a journal holds: results by prompt index, batch notes, and where appending may go on. */
export interface Journal {
	readonly entries: Map<number, JournalEntry>;
	readonly batches: BatchNote[];
	readonly intactBytes: number;
}

/**
 * Reads a journal's lines. A last line torn by a kill is dropped; so is any line that does not
 * parse. For each index the last entry wins (a retried failure is followed by its success).
 * `intactBytes` is where appending may safely continue. A result's `input` is not kept: the
 * input file says it again, and it is half of what a million results would hold in memory.
 */
export function parseJournal(text: string, path: string): Journal {
	return journalOf(textLines(text), path);
}

function journalOf(lines: Iterable<{ text: string; bytes: number }>, path: string): Journal {
	const entries = new Map<number, JournalEntry>();
	const batches: BatchNote[] = [];
	let intactBytes = 0;
	for (const { text: line, bytes } of lines) {
		if (intactBytes === 0 && `${line}\n` !== HEADER) break;
		intactBytes += bytes;
		if (intactBytes === HEADER.length || line === '') continue;
		try {
			const { h, r, b } = JSON.parse(line) as { h: unknown; r: unknown; b: unknown };
			if (typeof h === 'string' && isResultRecord(r)) {
				(r as { input: ResultRecord['input'] }).input = '';
				entries.set(r.index, { hash: h, record: r });
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
	return { entries, batches, intactBytes };
}

/** The whole lines of a text, each with its size in bytes, newline included. */
function* textLines(text: string): Generator<{ text: string; bytes: number }> {
	let start = 0;
	for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
		const line = text.slice(start, end);
		yield { text: line, bytes: Buffer.byteLength(line) + 1 };
		start = end + 1;
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
	for (;;) {
		const read = readSync(fd, buffer, 0, chunkBytes, null);
		if (read === 0) return;
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
 * The journal beside `output`, or undefined when there is none yet: no file, or one whose
 * header a full disk or a kill cut short, before any result was recorded.
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
		if (size < HEADER.length) {
			const start = Buffer.alloc(size);
			readSync(fd, start, 0, size, 0);
			if (HEADER.startsWith(start.toString('utf8'))) return undefined;
		}
		return journalOf(fileLines(fd), path);
	} catch (error) {
		if (error instanceof ResumeError) throw error;
		throw new ResumeError(`cannot read ${path}: ${(error as Error).message}`);
	} finally {
		closeSync(fd);
	}
}

/** How long a written entry may wait for fdatasync: the "durable within about a second". */
const SYNC_INTERVAL_MS = 500;

/**
 * Appends entries with one write(2) each, so a killed process loses only requests in flight;
 * fdatasync, which is what costs, runs at most every SYNC_INTERVAL_MS for all of them.
 */
export class JournalWriter {
	readonly #path: string;
	readonly #fd: number;
	readonly #timer: NodeJS.Timeout;
	#dirty = false;
	#syncing = false;

	/** Starts a new journal, or continues one from `intactBytes` (dropping a torn tail). */
	constructor(path: string, continueFrom?: number) {
		this.#path = path;
		try {
			if (continueFrom !== undefined) truncateSync(path, continueFrom);
			// Prompts and answers are the user's business alone: owner-only, whatever the umask.
			this.#fd = openSync(path, continueFrom === undefined ? 'w' : 'a', 0o600);
			fchmodSync(this.#fd, 0o600);
			if (continueFrom === undefined) writeSync(this.#fd, HEADER);
		} catch (error) {
			throw this.#failure(error);
		}
		this.#timer = setInterval(() => this.#sync(), SYNC_INTERVAL_MS).unref();
	}

	append(hash: string, record: ResultRecord): void {
		try {
			writeSync(this.#fd, `{"h":${JSON.stringify(hash)},"r":${recordJson(record)}}\n`);
		} catch (error) {
			throw this.#failure(error);
		}
		this.#dirty = true;
	}

	/** Records what became of the run's batches, at once and durably: a batch is money. */
	note(note: BatchNote): void {
		try {
			writeSync(this.#fd, `${JSON.stringify({ b: note })}\n`);
			fdatasyncSync(this.#fd);
		} catch (error) {
			throw this.#failure(error);
		}
	}

	/** Syncs what is left and closes; a failure here is a failure to record (FatalRunError). */
	close(): void {
		clearInterval(this.#timer);
		let failure: unknown;
		try {
			if (this.#dirty) fdatasyncSync(this.#fd);
		} catch (error) {
			failure = error;
		}
		try {
			closeSync(this.#fd);
		} catch (error) {
			failure ??= error;
		}
		if (failure !== undefined) throw this.#failure(failure);
	}

	#sync(): void {
		if (!this.#dirty || this.#syncing) return;
		this.#dirty = false;
		this.#syncing = true;
		fdatasync(this.#fd, () => {
			this.#syncing = false;
		});
	}

	#failure(error: unknown): FatalRunError {
		return new FatalRunError(
			`cannot write ${this.#path}: ${(error as Error).message}`,
			'make room or fix permissions, then rerun with --resume',
		);
	}
}
