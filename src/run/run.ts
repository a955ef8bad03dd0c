import type { Readable, Writable } from 'node:stream';
import { defaultModel, type Environment, targetBaseURL } from '../core/config.ts';
import { FatalRunError, PromptbatchError, type UsageError } from '../core/errors.ts';
import type { RunOptions } from '../core/options.ts';
import { STDIN } from '../input/sources.ts';
import type { RunEnd } from './engines.ts';
import { execute } from './execute.ts';
import { refuseOverwritingInput } from './preflight.ts';
import type { RunStats } from './stats.ts';
import {
	checkSummaryPath,
	type RunSummary,
	saveSummary,
	summarize,
	summaryJson,
} from './summary.ts';

/** The process around a run, passed in so that the library never touches globals. */
export interface RunIO {
	readonly stdin: Readable;
	readonly stdout: Writable;
	readonly stderr: Writable & { isTTY?: boolean; columns?: number };
	readonly env: Environment;
	/** Stop dispatching; requests in flight get the grace period (first Ctrl-C). */
	readonly interrupt?: AbortSignal;
	/** Stop dispatching and abort requests in flight now (second Ctrl-C). */
	readonly abort?: AbortSignal;
}

/**
 * Runs every prompt and writes every result. Resolves with a summary however the run ends,
 * bad usage, input or configuration included (found before anything is sent, for files);
 * rejects only on a bug.
 */
export async function run(options: RunOptions, io: RunIO): Promise<RunSummary> {
	const startedAt = new Date();
	let stats: RunStats | undefined;
	let end: RunEnd;
	try {
		// Before anything else: a summary file that can't be written can't report the run.
		if (options.summaryJson !== undefined) {
			checkSummaryPath(options.summaryJson, options.output);
			const files = options.files?.length ? options.files : [STDIN];
			const stdinFd = (io.stdin as { fd?: number }).fd;
			refuseOverwritingInput(options.summaryJson, files, stdinFd, '--summary-json');
		}
	} catch (error) {
		return summarize({ kind: 'invalid', error: error as UsageError }, undefined);
	}
	try {
		end = await execute(options, io, (started) => {
			stats = started;
		});
	} catch (error) {
		if (!(error instanceof PromptbatchError)) throw error;
		end = { kind: error instanceof FatalRunError ? 'aborted' : 'invalid', error };
	}
	const summary = summarize(end, stats);
	if (options.summaryJson !== undefined)
		saveSummary(
			options.summaryJson,
			summaryJson(summary, {
				startedAt,
				model: options.model ?? defaultModel(io.env),
				server: options.mock ? 'mock' : targetBaseURL(options.baseUrl, io.env),
				engine: options.batch ? 'batch' : 'realtime',
			}),
			io,
		);
	return summary;
}
