/** The words of progress, pure: what a run's counts say at a moment. */

import { formatUsd } from '../core/text.ts';

/** The counts a run keeps, as progress and the summary read them. */
export interface Counts {
	/** Prompts in the input, when known in advance. */
	readonly total: number | undefined;
	readonly ok: number;
	readonly failed: number;
	readonly aborted: number;
	readonly retries: number;
	readonly inFlight: number;
	readonly promptTokens: number;
	readonly completionTokens: number;
	readonly cached: number;
	readonly cachedTokens: number;
	readonly resumed: number;
	/** Prompts that have their result. */
	readonly done: number;
	/** Prompts that have their result from a request. */
	readonly sent: number;
	/** USD this run's answers cost, and the answers with no known price. */
	readonly spentUsd: number;
	readonly unpriced: number;
	readonly unpricedModels: ReadonlySet<string>;
	/** What the same answers would have cost sent realtime: what batch and flex saved. */
	readonly realtimeUsd: number;
	/** The pace requests keep, given or learned from the server; none in a batch run. */
	readonly pace?: Pace | undefined;
	elapsedMs(now?: number): number;
}

/** Requests and tokens a minute, where known. */
export interface Pace {
	readonly rpm: number | undefined;
	readonly tpm: number | undefined;
}

/**
 * `42% 420/1000 done, 3 failed, 5 retries, 8 in flight, 12.3 req/s, 1.2M tokens, 34s elapsed,
 * ETA 47s, pace 500 rpm 90.0k tpm`: percent and ETA when the total is known, pace when any.
 */
export function progressText(stats: Counts, now = performance.now()): string {
	const seconds = stats.elapsedMs(now) / 1000;
	const rate = seconds > 0 ? stats.sent / seconds : 0;
	const { total } = stats;
	const parts = [
		total === undefined
			? `${stats.done} done`
			: `${total > 0 ? Math.floor((100 * stats.done) / total) : 100}% ${stats.done}/${total} done`,
		`${stats.failed} failed`,
		`${stats.retries} ${stats.retries === 1 ? 'retry' : 'retries'}`,
		`${stats.inFlight} in flight`,
		`${rate.toFixed(1)} req/s`,
		`${formatCount(stats.promptTokens + stats.completionTokens)} tokens`,
		`${formatDuration(seconds)} elapsed`,
	];
	if (stats.spentUsd > 0) parts.splice(6, 0, `${formatUsd(stats.spentUsd)} spent`);
	if (total !== undefined && rate > 0)
		parts.push(`ETA ${formatDuration((total - stats.done) / rate)}`);
	const pace = [
		stats.pace?.rpm === undefined ? '' : `${formatCount(Math.round(stats.pace.rpm))} rpm`,
		stats.pace?.tpm === undefined ? '' : `${formatCount(Math.round(stats.pace.tpm))} tpm`,
	].filter(Boolean);
	if (pace.length > 0) parts.push(`pace ${pace.join(' ')}`);
	return parts.join(', ');
}

/** What a run is about to do, said once off a terminal so a CI log shows what ran. */
export interface Intro {
	readonly total: number | undefined;
	readonly model: string;
	/** Where requests go: a URL, or "the built-in mock". */
	readonly endpoint: string;
	/** Requests in flight at most; none for a batch run. */
	readonly concurrency?: number | undefined;
}

/** `starting: 1000 prompts, model gpt-4o-mini, https://.../chat/completions, concurrency 8`. */
export function introText(intro: Intro): string {
	const prompts =
		intro.total === undefined
			? 'prompts from a stream'
			: `${intro.total} prompt${intro.total === 1 ? '' : 's'}`;
	const parts = [prompts, `model ${intro.model}`, intro.endpoint];
	if (intro.concurrency !== undefined) parts.push(`concurrency ${intro.concurrency}`);
	return `starting: ${parts.join(', ')}`;
}

export function formatCount(n: number): string {
	if (n < 10_000) return String(n);
	if (n < 1_000_000) return `${(n / 1000).toFixed(1)}k`;
	return `${(n / 1_000_000).toFixed(2)}M`;
}

export function formatDuration(seconds: number): string {
	const s = Math.max(0, Math.round(seconds));
	if (s < 60) return `${s}s`;
	if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
	return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
