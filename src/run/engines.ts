import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection } from '../core/config.ts';
import { UsageError } from '../core/errors.ts';
import { DEFAULTS, type RunOptions } from '../core/options.ts';
import type { ApiRequest, PromptRecord, ResultRecord } from '../core/types.ts';
import type { BatchEnd } from '../engines/batch/dispatch.ts';
import type { ShardLimits } from '../engines/batch/lines.ts';
import type { DispatchEnd } from '../engines/realtime/stop.ts';
import type { BatchNote, JournalWriter } from '../state/journal.ts';
import type { Ledger } from '../state/ledger.ts';
import type { Reporter } from '../terminal/progress.ts';
import type { RunIO } from './run.ts';
import type { RunStats } from './stats.ts';

/** How a run ended, whichever engine ran it. */
export type RunEnd = DispatchEnd | BatchEnd;

/** What the run has set up for an engine: records in, results out, state, and the terminal. */
export interface Wiring {
	readonly options: RunOptions;
	readonly io: RunIO;
	readonly records: AsyncIterable<PromptRecord>;
	readonly build: (record: PromptRecord) => ApiRequest;
	readonly target: Connection;
	readonly ledger: Ledger | undefined;
	readonly journal: JournalWriter | undefined;
	readonly previousBatches: readonly BatchNote[];
	readonly emit: (result: ResultRecord) => Promise<void>;
	readonly stats: RunStats;
	readonly reporter: Reporter;
	readonly redact: (text: string) => string;
}

/** Where requests go when no base URL is given. */
export const OPENAI_BASE_URL = 'https://api.openai.com/v1';

/** The realtime engine: every prompt its own request, paced and retried. */
export async function runRealtime(w: Wiring): Promise<RunEnd> {
	const { options, reporter } = w;
	const [{ createTransport }, { dispatch }] = await Promise.all([
		import('../http/transport.ts'),
		import('../engines/realtime/dispatch.ts'),
	]);
	const concurrency = options.concurrency ?? DEFAULTS.concurrency;
	return dispatch(
		w.records,
		{
			concurrency,
			retries: options.retries ?? DEFAULTS.retries,
			window: Math.max(DEFAULTS.reorderWindow, 4 * concurrency),
			graceMs: options.graceMs ?? DEFAULTS.graceMs,
			halt: options.halt,
			rpm: options.rpm,
			tpm: options.tpm,
		},
		{
			build: w.build,
			baseURL: w.target.baseURL ?? OPENAI_BASE_URL,
			transport: createTransport(w.target, {
				timeoutMs: options.timeoutMs ?? DEFAULTS.timeoutMs,
				env: w.io.env,
				log: (line) => reporter.log(line),
			}),
			emit: w.emit,
			ledger: w.ledger,
			events: w.stats,
			verbose: (line) => reporter.verbose(line),
			warn: (line) => reporter.warn(line),
			redact: w.redact,
		},
		{ interrupt: w.io.interrupt, abort: w.io.abort },
	);
}

/** How big one batch may be. */
export function batchLimits(options: RunOptions): ShardLimits {
	return {
		lines: options.batchSize ?? DEFAULTS.batchSize,
		bytes: DEFAULTS.batchBytes,
		tokens: options.batchTokens,
	};
}

/** The batch engine: the prompts as Batch API batches, at half the price. */
export async function runBatches(w: Wiring): Promise<RunEnd> {
	const { options, reporter, journal, ledger } = w;
	// Until batches are also recorded without -o, a rerun could not find them: never pay twice.
	if (!journal || !ledger) {
		throw new UsageError(
			'--batch needs -o FILE',
			"the run's batches are recorded in the journal beside FILE, so that a rerun collects them instead of paying again",
		);
	}
	const [{ createBatchApi }, { dispatchBatches }] = await Promise.all([
		import('../http/batch-api.ts'),
		import('../engines/batch/dispatch.ts'),
	]);
	const workDir = mkdtempSync(join(tmpdir(), 'promptbatch-batch-'));
	try {
		return await dispatchBatches(
			w.records,
			{
				limits: batchLimits(options),
				retries: options.retries ?? DEFAULTS.retries,
				pollMs: options.pollMs,
				wait: options.wait !== false,
			},
			{
				build: w.build,
				api: createBatchApi(w.target, {
					timeoutMs: DEFAULTS.timeoutMs,
					env: w.io.env,
					log: (line) => reporter.log(line),
				}),
				emit: w.emit,
				ledger,
				previous: w.previousBatches,
				note: (note) => journal.note(note),
				events: w.stats,
				workDir,
				log: (line) => reporter.log(`promptbatch: ${line}`),
				redact: w.redact,
			},
			w.io.interrupt,
		);
	} finally {
		rmSync(workDir, { recursive: true, force: true });
	}
}
