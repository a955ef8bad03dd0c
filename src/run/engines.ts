import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection } from '../core/config.ts';
import { DEFAULTS, type RunOptions } from '../core/options.ts';
import type { ApiRequest, PromptRecord, ResultRecord } from '../core/types.ts';
import type { Budget } from '../cost/budget.ts';
import { type PriceLookup, pricer } from '../cost/prices.ts';
import type { ShardLimits } from '../engines/batch/lines.ts';
import type { BatchEnd } from '../engines/batch/options.ts';
import type { DispatchEnd } from '../engines/realtime/stop.ts';
import type { ResponseCache } from '../state/cache.ts';
import { requestKey } from '../state/fingerprint.ts';
import { type BatchNote, JournalWriter } from '../state/journal.ts';
import { type Journal, readJournal } from '../state/journal-reader.ts';
import { Ledger } from '../state/ledger.ts';
import { acquireLock } from '../state/lock.ts';
import { runStatePath } from '../state/run-state.ts';
import type { Reporter } from '../terminal/progress.ts';
import { flexFinish, fromArray } from './deadline.ts';
import { realtime } from './realtime.ts';
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
	/** What identifies the server in journal and cache. */
	readonly server: string;
	readonly cache: ResponseCache | undefined;
	/** Prices for the records' `cost_usd`. */
	readonly prices: PriceLookup;
	/** `--max-cost`'s reservations. */
	readonly budget: Budget | undefined;
}

/** The realtime engine: every prompt its own request, paced and retried. */
export function runRealtime(w: Wiring): Promise<RunEnd> {
	return realtime(w, w.options);
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
	if (w.journal && w.ledger)
		return sendBatches(w, w.records, w.journal, w.ledger, w.previousBatches);
	// Without -o, the run's batches are recorded in a state file named by what the run sends.
	const records: PromptRecord[] = [];
	for await (const record of w.records) records.push(record);
	const keys = records.map((record) => requestKey(w.server, w.build(record)));
	const path = runStatePath(w.io.env, createHash('sha256').update(keys.join('\n')).digest('hex'));
	const release = acquireLock(path);
	let previous: Journal | undefined;
	try {
		previous = readJournal(path);
		const journal = new JournalWriter(path, previous?.intactBytes);
		let end: RunEnd;
		try {
			const ledger = new Ledger({
				previous: previous?.entries,
				checked: true,
				journal,
				cache: w.cache,
				resendFailed: w.options.resumeFailed,
				baseURL: w.server,
			});
			if (previous) w.reporter.log(`promptbatch: continuing the batches recorded in ${path}`);
			end = await sendBatches(w, fromArray(records), journal, ledger, previous?.batches ?? []);
		} finally {
			journal.close();
		}
		// Every result is out: a deliberate rerun later submits afresh.
		if (end.kind === 'complete') rmSync(path, { force: true });
		else if (end.kind === 'pending' || end.kind === 'interrupted')
			w.reporter.log(
				`promptbatch: the run's batches are recorded in ${path}; the same command collects them`,
			);
		return end;
	} finally {
		previous?.close();
		release();
	}
}

async function sendBatches(
	w: Wiring,
	records: AsyncIterable<PromptRecord>,
	journal: JournalWriter,
	ledger: Ledger,
	previous: readonly BatchNote[],
): Promise<RunEnd> {
	const { options, reporter } = w;
	const [{ createBatchApi }, { dispatchBatches }] = await Promise.all([
		import('../http/batch-api.ts'),
		import('../engines/batch/dispatch.ts'),
	]);
	const workDir = mkdtempSync(join(tmpdir(), 'promptbatch-batch-'));
	try {
		return await dispatchBatches(
			records,
			{
				limits: batchLimits(options),
				retries: options.retries ?? DEFAULTS.retries,
				pollMs: options.pollMs,
				wait: options.wait !== false,
				cancel: options.cancel,
				deadline:
					options.batchDeadlineMs === undefined ? undefined : Date.now() + options.batchDeadlineMs,
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
				previous,
				note: (note) => journal.note(note),
				events: w.stats,
				price: pricer(w.prices, 'batch'),
				workDir,
				// Which batches run is progress: -q keeps it to itself, as it does the rest.
				log: (line) => (options.quiet ? undefined : reporter.log(`promptbatch: ${line}`)),
				status: (text) => reporter.status(text),
				redact: w.redact,
				budget: w.budget,
				finish: flexFinish(w),
			},
			w.io.interrupt,
		);
	} finally {
		rmSync(workDir, { recursive: true, force: true });
	}
}
