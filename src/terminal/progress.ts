import type { Writable } from 'node:stream';
import { Chalk, type ChalkInstance } from 'chalk';
import type { Ora } from 'ora';
import type { Environment } from '../core/config.ts';
import { DEFAULTS } from '../core/options.ts';
import { formatUsd } from '../core/text.ts';
import { colorLevel } from './color.ts';
import { type Counts, formatCount, progressText } from './progress-text.ts';

export interface ReporterOptions {
	/** Where everything but results goes: stderr. */
	readonly stream: Writable & { isTTY?: boolean; columns?: number };
	readonly env: Environment;
	/** No progress and no summary; warnings and errors still show. @default false */
	readonly quiet?: boolean | undefined;
	/** Log every retry and its reason. @default false */
	readonly verbose?: boolean | undefined;
	/** Applied to every line, so that no secret reaches the terminal or a log. */
	readonly redact?: (text: string) => string;
	/** Between plain progress lines when stderr is not a terminal. @default DEFAULTS.progressIntervalMs */
	readonly intervalMs?: number | undefined;
}

/** The warning for an input with no prompts at all. */
export const NO_PROMPTS = 'no prompts in the input (blank lines are skipped)';

/** Off a terminal, the longest a run goes without a progress line, changed or not. */
const QUIET_MAX_MS = 60_000;

/**
 * Everything promptbatch says on stderr: log lines, progress, the summary. On a terminal the
 * progress is an ora spinner; elsewhere (CI logs, files) a plain line every `intervalMs`.
 */
export class Reporter {
	readonly #options: ReporterOptions;
	readonly #color: ChalkInstance;
	readonly #redact: (text: string) => string;
	#spinner: Ora | undefined;
	#timer: NodeJS.Timeout | undefined;
	#status: string | undefined;

	constructor(options: ReporterOptions) {
		this.#options = options;
		// A stderr that went away must not take the run down: what it would say is lost anyway.
		if (options.stream.listenerCount('error') === 0) options.stream.on('error', () => {});
		this.#color = new Chalk({ level: colorLevel(options.stream.isTTY === true, options.env) });
		this.#redact = options.redact ?? ((text) => text);
	}

	/** A line for the user: warnings, errors, notices. */
	log(line: string): void {
		const { stream } = this.#options;
		if (stream.destroyed || stream.errored) {
			this.stop();
			return;
		}
		this.#spinner?.clear();
		this.#options.stream.write(`${this.#redact(line)}\n`);
		this.#spinner?.render();
	}

	verbose(line: string): void {
		if (this.#options.verbose) this.log(`${this.#color.dim('promptbatch:')} ${line}`);
	}

	/** Something worth knowing that is not an error; shown even when quiet, as errors are. */
	warn(line: string): void {
		this.log(`${this.#color.yellow('promptbatch: warning:')} ${line}`);
	}

	/**
	 * What progress says, instead of the request counts: a batch run's statuses. Off a
	 * terminal a line is printed when this changes (at most every interval), and at least
	 * every QUIET_MAX_MS.
	 */
	status(text: string): void {
		this.#status = text;
	}

	/** Starts progress; off a terminal, `intro` (what the run is about to do) comes first. */
	async start(stats: Counts, intro?: string): Promise<void> {
		const { stream, env, quiet } = this.#options;
		if (quiet) return;
		const text = () => this.#status ?? progressText(stats);
		// ora redraws forever on a terminal that reports 0 columns: plain lines there too.
		if (stream.isTTY && (stream.columns ?? 0) > 0 && env.TERM !== 'dumb') {
			const { default: ora } = await import('ora');
			const spinner = ora({
				stream,
				text: text(),
				color: false,
				discardStdin: false,
				isEnabled: true,
			});
			// ora would colour its frames by stdout's terminal: ours follow the stream drawn on.
			const { interval, frames } = spinner.spinner as { interval: number; frames: string[] };
			spinner.spinner = { interval, frames: frames.map((frame) => this.#color.cyan(frame)) };
			this.#spinner = spinner.start();
			this.#timer = setInterval(() => {
				if (this.#spinner) this.#spinner.text = text();
			}, 200);
		} else {
			if (intro) this.log(`promptbatch: ${intro}`);
			let last = '';
			let lastAt = performance.now();
			this.#timer = setInterval(() => {
				const now = text();
				// A batch run's statuses change rarely: say them when they do.
				const unchanged = this.#status !== undefined && now === last;
				if (unchanged && performance.now() - lastAt < QUIET_MAX_MS) return;
				last = now;
				lastAt = performance.now();
				this.log(`promptbatch: ${now}`);
			}, this.#options.intervalMs ?? DEFAULTS.progressIntervalMs);
		}
		this.#timer.unref();
	}

	stop(): void {
		clearInterval(this.#timer);
		this.#timer = undefined;
		this.#spinner?.stop();
		this.#spinner = undefined;
	}

	summary(stats: Counts, headline: string): void {
		if (this.#options.quiet) return;
		const c = this.#color;
		const seconds = stats.elapsedMs() / 1000;
		const tokens = stats.promptTokens + stats.completionTokens;
		const parts = [
			c.green(`${stats.ok} ok`),
			stats.failed > 0 ? c.red(`${stats.failed} failed`) : `${stats.failed} failed`,
			`${stats.retries} ${stats.retries === 1 ? 'retry' : 'retries'}`,
			`${formatCount(tokens)} tokens (${formatCount(stats.promptTokens)} in, ${formatCount(stats.completionTokens)} out)`,
			`${seconds.toFixed(1)}s`,
			`${(seconds > 0 ? stats.sent / seconds : 0).toFixed(1)} req/s`,
		];
		// What cost nothing, or didn't finish, only when there is some: the usual line stays short.
		if (stats.aborted > 0) parts.splice(2, 0, c.yellow(`${stats.aborted} aborted`));
		if (stats.cached > 0)
			parts.push(`${stats.cached} cached (${formatCount(stats.cachedTokens)} tokens saved)`);
		if (stats.resumed > 0) parts.push(`${stats.resumed} already done (resumed)`);
		if (stats.spentUsd > 0)
			parts.push(
				stats.realtimeUsd > stats.spentUsd
					? `${formatUsd(stats.spentUsd)} spent (${formatUsd(stats.realtimeUsd)} at realtime prices)`
					: `${formatUsd(stats.spentUsd)} spent`,
			);
		if (stats.unpricedModels.size > 0)
			parts.push(`cost unknown for ${[...stats.unpricedModels].join(', ')} (give --prices)`);
		this.log(`promptbatch: ${headline}: ${parts.join(', ')}`);
	}
}
