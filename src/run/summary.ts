import { renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Writable } from 'node:stream';
import { type Environment, redactor } from '../core/config.ts';
import { type PromptbatchError, UsageError } from '../core/errors.ts';
import { roundUsd } from '../cost/prices.ts';
import type { RunEnd } from './engines.ts';
import type { RunStats } from './stats.ts';

/** How a run ended, and its counts. The CLI maps it to an exit code; it is never thrown. */
export interface RunSummary {
	/**
	 * `complete`: every prompt read has its result (some may have failed); `interrupted`: by
	 * `interrupt` or `abort`; `aborted`: by a failure that dooms every request or an output that
	 * can't be written; `invalid`: bad usage, configuration or input (nothing was sent; for
	 * stdin, nothing after the bad record); `halted`: by `--halt`; `pending`: batches still run
	 * (`batch` with `wait: false`).
	 */
	readonly end: RunEnd['kind'];
	/** Why the run ended early, for every end but `complete` and `interrupted`. */
	readonly error: PromptbatchError | undefined;
	/** Prompts in the input, if known (not when stdin was read and the run stopped early). */
	readonly total: number | undefined;
	readonly ok: number;
	readonly failed: number;
	readonly aborted: number;
	/** Answered from the cache, and kept from an earlier run (`resume`): nothing sent. */
	readonly cached: number;
	readonly resumed: number;
	/** Attempts beyond each prompt's first. */
	readonly retries: number;
	/** Tokens the answers of this run used, as the server counted them. */
	readonly promptTokens: number;
	readonly completionTokens: number;
	readonly elapsedMs: number;
	/** USD this run's answers cost, and the answers with no known price (not counted in it). */
	readonly costUsd: number;
	readonly unpriced: number;
	/** What the same answers would have cost realtime: more than `costUsd` by what batch and flex saved. */
	readonly realtimeCostUsd: number;
}

export function summarize(end: RunEnd, stats: RunStats | undefined): RunSummary {
	return {
		end: end.kind,
		error: 'error' in end ? end.error : undefined,
		total: stats?.total,
		ok: stats?.ok ?? 0,
		failed: stats?.failed ?? 0,
		aborted: stats?.aborted ?? 0,
		cached: stats?.cached ?? 0,
		resumed: stats?.resumed ?? 0,
		retries: stats?.retries ?? 0,
		promptTokens: stats?.promptTokens ?? 0,
		completionTokens: stats?.completionTokens ?? 0,
		elapsedMs: Math.round(stats?.elapsedMs() ?? 0),
		costUsd: roundUsd(stats?.spentUsd ?? 0),
		unpriced: stats?.unpriced ?? 0,
		realtimeCostUsd: roundUsd(stats?.realtimeUsd ?? 0),
	};
}

/** What the summary file says beside the counts. */
export interface SummaryContext {
	readonly startedAt: Date;
	readonly model: string;
	/** The server, or "mock". */
	readonly server: string;
	readonly engine: 'realtime' | 'batch';
}

/** The summary as one JSON object, with the field names of the output records' style. */
export function summaryJson(
	summary: RunSummary,
	context: SummaryContext,
	now = new Date(),
): string {
	const { error } = summary;
	return `${JSON.stringify({
		end: summary.end,
		error: error ? { type: error.name, message: error.message, hint: error.hint ?? null } : null,
		total: summary.total ?? null,
		ok: summary.ok,
		failed: summary.failed,
		aborted: summary.aborted,
		cached: summary.cached,
		resumed: summary.resumed,
		retries: summary.retries,
		usage: {
			prompt_tokens: summary.promptTokens,
			completion_tokens: summary.completionTokens,
			total_tokens: summary.promptTokens + summary.completionTokens,
		},
		started_at: context.startedAt.toISOString(),
		ended_at: now.toISOString(),
		elapsed_ms: summary.elapsedMs,
		cost_usd: summary.costUsd,
		unpriced: summary.unpriced,
		realtime_cost_usd: summary.realtimeCostUsd,
		model: context.model,
		server: context.server,
		engine: context.engine,
	})}\n`;
}

/** Refuses a summary path that could never be written, before anything is sent. */
export function checkSummaryPath(path: string, output: string | undefined): void {
	if (path === output)
		throw new UsageError(`--summary-json ${path} is also -o`, 'give the summary its own file');
	const dir = dirname(path);
	if (!isDirectory(dir))
		throw new UsageError(
			`--summary-json ${path}: no such directory ${dir}`,
			'create the directory first, or name a file in an existing one',
		);
	if (isDirectory(path))
		throw new UsageError(`--summary-json ${path} is a directory`, 'name a file in it');
}

function isDirectory(path: string): boolean {
	try {
		return statSync(path).isDirectory();
	} catch {
		return false;
	}
}

/**
 * Written whole or not at all: a dashboard never reads half a summary. A summary that can't
 * be written is worth a warning, not the run's results.
 */
export function saveSummary(
	path: string,
	text: string,
	io: { readonly stderr: Writable; readonly env: Environment },
): void {
	const temp = `${path}.${process.pid}.tmp`;
	try {
		// Every message in it was redacted where it was made; this is the last line of defence.
		writeFileSync(temp, redactor([io.env.OPENAI_API_KEY])(text), { mode: 0o644 });
		renameSync(temp, path);
	} catch (error) {
		rmSync(temp, { force: true });
		io.stderr.write(
			`promptbatch: warning: cannot write --summary-json ${path}: ${(error as Error).message}\n`,
		);
	}
}
