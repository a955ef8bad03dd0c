import {
	closeSync,
	fchmodSync,
	fdatasync,
	fdatasyncSync,
	openSync,
	truncateSync,
	writeSync,
} from 'node:fs';
import { FatalRunError } from '../core/errors.ts';
import { recordJson } from '../core/record-json.ts';
import type { ResultRecord } from '../core/types.ts';

/**
 * The journal is what makes a killed run resumable: `FILE.journal`, JSON lines, one for every
 * result as it arrives (in any order), with the hash of the request that produced it. The
 * output file is rebuilt from it on `--resume`, so it is the durable truth and the output a view.
 * This module writes it; journal-reader.ts reads it.
 */
export const JOURNAL_HEADER = '{"promptbatch_journal":1}\n';

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

/** How long a written entry may wait for fdatasync: the "durable within about a second". */
const SYNC_INTERVAL_MS = 500;

/**
 * Appends entries with one write(2) each, so a killed process loses only requests in flight
 * (`together` groups those that can be had again); fdatasync, which is what costs, runs at most
 * every SYNC_INTERVAL_MS for all of them.
 */
export class JournalWriter {
	readonly #path: string;
	readonly #fd: number;
	readonly #timer: NodeJS.Timeout;
	#dirty = false;
	#syncing = false;
	/** Lines appended inside `together`, written when it ends. */
	#held: string[] | undefined;

	/** Starts a new journal, or continues one from `intactBytes` (dropping a torn tail). */
	constructor(path: string, continueFrom?: number) {
		this.#path = path;
		try {
			if (continueFrom !== undefined) truncateSync(path, continueFrom);
			// Prompts and answers are the user's business alone: owner-only, whatever the umask.
			this.#fd = openSync(path, continueFrom === undefined ? 'w' : 'a', 0o600);
			fchmodSync(this.#fd, 0o600);
			if (continueFrom === undefined) writeSync(this.#fd, JOURNAL_HEADER);
		} catch (error) {
			throw this.#failure(error);
		}
		this.#timer = setInterval(() => this.#sync(), SYNC_INTERVAL_MS).unref();
	}

	append(hash: string, record: ResultRecord): void {
		const line = `{"h":${JSON.stringify(hash)},"r":${recordJson(record)}}\n`;
		if (this.#held) this.#held.push(line);
		else this.#write(line);
	}

	/**
	 * Runs `append`s as one write(2): for results that can be had again should a kill lose them,
	 * a batch's answers, which its file still holds until the batch is noted collected. A write
	 * each cost 12 us an answer, 1.2 s of CPU collecting 100,000.
	 */
	together(appends: () => void): void {
		const held: string[] = [];
		this.#held = held;
		try {
			appends();
		} finally {
			this.#held = undefined;
			if (held.length > 0) this.#write(held.join(''));
		}
	}

	#write(text: string): void {
		try {
			writeSync(this.#fd, text);
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
