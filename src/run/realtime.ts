import { attemptTimeoutMs, DEFAULTS, OPENAI_BASE_URL, type RunOptions } from '../core/options.ts';
import { pricer } from '../cost/prices.ts';
import type { DispatchDeps } from '../engines/realtime/options.ts';
import type { DispatchEnd } from '../engines/realtime/stop.ts';
import type { Wiring } from './engines.ts';

/**
 * Runs `w.records` through the realtime engine with these options: the run's own, or the flex
 * requests that finish what a batch deadline left (`deadline.ts`).
 */
export async function realtime(
	w: Wiring,
	options: RunOptions,
	overrides: Partial<DispatchDeps> = {},
): Promise<DispatchEnd> {
	const { reporter } = w;
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
			unavailableMs: attemptTimeoutMs(options),
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
				timeoutMs: attemptTimeoutMs(options),
				connections: concurrency,
				env: w.io.env,
				log: (line) => reporter.log(line),
			}),
			emit: w.emit,
			ledger: w.ledger,
			events: w.stats,
			// Flex is billed as a batch; a response that names its tier says better.
			price: pricer(w.prices, options.serviceTier === 'flex' ? 'batch' : 'realtime'),
			budget: w.budget,
			verbose: (line) => reporter.verbose(line),
			warn: (line) => reporter.warn(line),
			redact: w.redact,
			...overrides,
		},
		{ interrupt: w.io.interrupt, abort: w.io.abort },
	);
}
