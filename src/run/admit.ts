import type { Readable } from 'node:stream';
import type { RunOptions } from '../core/options.ts';
import type { ApiRequest, PromptRecord } from '../core/types.ts';
import type { Budget } from '../cost/budget.ts';
import type { PriceLookup } from '../cost/prices.ts';
import { requestKey } from '../state/fingerprint.ts';
import type { JournalEntries } from '../state/journal-reader.ts';
import { checkResume, checkResumeLength } from '../state/ledger.ts';
import { budgetable, loadBudget } from './budget.ts';
import { type ContextCheck, contextCheck } from './context.ts';
import { preflight } from './preflight.ts';

export interface Admission {
	/** Prompts in the input, when every source is a file; undefined for streams. */
	readonly total: number | undefined;
	/** `--max-cost`'s reservations. */
	readonly budget: Budget | undefined;
	/** The context-window check, for input read once, which is checked as it streams. */
	readonly fits: ContextCheck;
}

/**
 * What a run checks before its first request, reading every named file once: that `--resume`
 * continues the same requests, that `--max-cost` can price and bound each one, and that each
 * fits its model's context window. Throws the first problem, naming its file and line.
 */
export async function admit(run: {
	readonly options: RunOptions;
	readonly files: readonly string[];
	readonly stdin: Readable;
	readonly build: (record: PromptRecord) => ApiRequest;
	readonly previous: JournalEntries | undefined;
	/** What identifies the server in the journal. */
	readonly server: string;
	readonly model: string;
	readonly prices: PriceLookup;
	readonly warn: (line: string) => void;
}): Promise<Admission> {
	const { options, previous, server, model, prices } = run;
	const budgetCheck = options.maxCost === undefined ? undefined : budgetable(prices, model);
	const fits = contextCheck(prices, model);
	const total = await preflight(
		run.files,
		options.inputFormat,
		run.stdin,
		run.build,
		async (record, request) => {
			if (previous) checkResume(previous, record, requestKey(server, request));
			budgetCheck?.(request);
			await fits(record, request);
		},
	);
	checkResumeLength(previous, total);
	const budget =
		options.maxCost === undefined
			? undefined
			: await loadBudget(options.maxCost, prices, model, options.batch ? 'batch' : 'realtime');
	if (budget && options.maxTokens === undefined && !options.quiet)
		run.warn(
			"--max-cost without --max-tokens: each prompt reserves all the output its model's context window allows, so the cap stops the run early; give --max-tokens for a closer bound",
		);
	return { total, budget, fits };
}
