import { fstatSync, type Stats, statSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { UsageError } from '../core/errors.ts';
import type { RunOptions } from '../core/options.ts';
import type { ApiRequest, InputFormat, PromptRecord } from '../core/types.ts';
import { readRecords, readsOnce, STDIN } from '../input/sources.ts';
import { journalPath, pendingBatches } from '../state/journal.ts';
import { fileIncludes, readJournal } from '../state/journal-reader.ts';

/**
 * Reads every named file and builds every request before the first is sent: a typo on line
 * 90,000 must not cost 89,999 requests. stdin, pipes and FIFOs can't be read twice, so they
 * are checked as they stream. Returns the number of prompts when that is known (every source
 * a file). `check` sees each request only when its index is the real run's.
 */
export async function preflight(
	files: readonly string[],
	inputFormat: InputFormat | undefined,
	stdin: Readable,
	build: (record: PromptRecord) => ApiRequest,
	check?: (record: PromptRecord, request: ApiRequest) => void | Promise<void>,
): Promise<number | undefined> {
	const named = files.filter((file) => !readsOnce(file));
	// Indexes only match the real run's when no stream comes between the files.
	const positional = named.length === files.length;
	let total = 0;
	for await (const record of readRecords(named, inputFormat, stdin)) {
		const request = build(record);
		if (positional) await check?.(record, request);
		total++;
	}
	return positional ? total : undefined;
}

/**
 * Writing the output would truncate an input before it is read: refuse, as `sort -o` would
 * not. stdin counts too when it is redirected from a file (`-o p.txt < p.txt`).
 */
export function refuseOverwritingInput(
	output: string,
	files: readonly string[],
	stdinFd: number | undefined,
	flag = '-o',
): void {
	const target = identity(() => statSync(output));
	if (target === undefined) return;
	for (const file of files) {
		const source =
			file === STDIN
				? stdinFd === undefined
					? undefined
					: identity(() => fstatSync(stdinFd))
				: identity(() => statSync(file));
		if (source !== target) continue;
		const what = file === STDIN ? 'standard input' : `an input file (${file})`;
		throw new UsageError(
			`${flag} ${output} is also ${what}; writing it would destroy the input`,
			'write the results to another file',
		);
	}
}

/** A regular file's identity; nothing for pipes and devices, which writing can't truncate. */
function identity(stat: () => Stats): string | undefined {
	try {
		const stats = stat();
		return stats.isFile() ? `${stats.dev}:${stats.ino}` : undefined;
	} catch {
		return undefined;
	}
}

/**
 * `-o` writes a file, and its journal and lock beside it: a device or a pipe can be neither
 * resumed nor locked, and one like /dev/full would fail only after paying for the first answer.
 */
export function refuseNonFileOutput(output: string): void {
	let stats: Stats;
	try {
		stats = statSync(output);
	} catch {
		return;
	}
	// A directory fails to open with a message of its own.
	if (stats.isFile() || stats.isDirectory()) return;
	throw new UsageError(
		`-o ${output} is not a regular file`,
		`-o writes a file with a journal beside it; to write elsewhere, redirect stdout: > ${output}`,
	);
}

/**
 * Starting over replaces the journal, and with it the only record of batches still running:
 * a rerun would submit, and pay for, them again. Refuse, and say how to collect them.
 */
export function refuseForgettingBatches(output: string): void {
	const path = journalPath(output);
	// Most journals hold no batch at all: don't parse a large one to learn that.
	if (!fileIncludes(path, '{"b":{"id"')) return;
	const old = readJournal(path);
	old?.close();
	const pending = old ? pendingBatches(old.batches) : [];
	if (pending.length === 0) return;
	throw new UsageError(
		`${output} belongs to a run whose ${pending.length} batch(es) are not collected yet (${pending.map((b) => b.id).join(', ')})`,
		'add --resume to collect them, or --resume --cancel to cancel them; starting over would submit, and pay for, them again',
	);
}

/** Options that make no sense together, refused before anything else. */
export function refuseContradictions(options: RunOptions): void {
	const resume = options.resume || options.resumeFailed;
	if (options.cancel && !(options.batch && (resume || options.output === undefined))) {
		throw new UsageError(
			'--cancel goes with --batch --resume',
			"it cancels a run's batches: give the command that started them, with --resume --cancel",
		);
	}
	// A batch run to stdout resumes from its state file; any other run from -o FILE's journal.
	if (resume && options.output === undefined && !options.batch) {
		throw new UsageError(
			`${options.resumeFailed ? '--resume-failed' : '--resume'} needs -o FILE`,
			'a run resumes from the journal it keeps beside its output file',
		);
	}
}
