import { readFileSync } from 'node:fs';
import { UsageError } from '../core/errors.ts';
import type { Pricer } from '../core/types.ts';

/** What a model costs, in USD per million tokens. */
export interface ModelPrice {
	readonly input: number;
	readonly output: number;
	/** Input tokens the server had cached. @default input */
	readonly cachedInput: number;
	/** The factor for the Batch API and flex processing. @default DEFAULT_BATCH_FACTOR */
	readonly batch: number;
	/** Where the price came from, for messages: `--prices FILE` or the price data's name. */
	readonly source: string;
	/** Tokens the model takes in and gives out at most, when known. */
	readonly contextWindow?: number | undefined;
}

/** OpenAI's Batch API and flex processing cost half the realtime price. */
export const DEFAULT_BATCH_FACTOR = 0.5;

/** Tokens of each kind in the request the price data is asked about. */
const SAMPLE = 1000;

/** Finds a model's price: `--prices` first, then the maintained price data. */
export type PriceLookup = (model: string) => ModelPrice | undefined;

/**
 * The prices a run uses: those of `pricesFile` (`{"MODEL": {"input", "output", "cached_input",
 * "batch"}}`) over @pydantic/genai-prices, which is maintained upstream and holds no batch or
 * flex prices (hence the factor). Loaded lazily: runs that don't price anything never pay for it.
 */
export async function loadPrices(pricesFile?: string): Promise<PriceLookup> {
	const own = pricesFile === undefined ? {} : readPricesFile(pricesFile);
	const { calcPrice } = await import('@pydantic/genai-prices');
	// Asked once a model: a run prices every answer.
	const known = new Map<string, ModelPrice | undefined>();
	const lookup: PriceLookup = (model) => {
		if (Object.hasOwn(own, model)) return own[model];
		// Priced as one ordinary request, scaled to a million: a request of a million tokens
		// would be priced at the long-context tier (gpt-5.4's input costs double past 272k).
		const found = calcPrice({ input_tokens: SAMPLE, output_tokens: SAMPLE }, model, {
			providerId: 'openai',
		});
		if (!found) return undefined;
		const cached = calcPrice(
			{ input_tokens: SAMPLE, cache_read_tokens: SAMPLE, output_tokens: 0 },
			model,
			{ providerId: 'openai' },
		);
		const perMillion = (price: number) => (price * 1e6) / SAMPLE;
		return {
			input: perMillion(found.input_price),
			output: perMillion(found.output_price),
			cachedInput: perMillion(cached?.input_price ?? found.input_price),
			batch: DEFAULT_BATCH_FACTOR,
			source: '@pydantic/genai-prices',
			contextWindow: found.model.context_window ?? undefined,
		};
	};
	return (model) => {
		if (!known.has(model)) known.set(model, lookup(model));
		return known.get(model);
	};
}

/** Reads and checks a `--prices` file: one bad entry is a usage error naming it. */
export function readPricesFile(path: string): Record<string, ModelPrice> {
	let parsed: unknown;
	try {
		parsed = JSON.parse(readFileSync(path, 'utf8'));
	} catch (error) {
		throw new UsageError(
			`--prices ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`,
			'give a JSON file such as {"my-model": {"input": 0.15, "output": 0.6}} (USD per million tokens)',
		);
	}
	if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
		throw new UsageError(`--prices ${path}: not a JSON object of models`, PRICES_HINT);
	const prices: Record<string, ModelPrice> = {};
	for (const [model, entry] of Object.entries(parsed)) {
		const e = entry as Record<string, unknown>;
		const field = (
			name: string,
			fallback?: number,
			what = 'of USD per million tokens, 0 or more',
		) => {
			const value = e?.[name] ?? fallback;
			if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
				throw new UsageError(
					`--prices ${path}: "${model}".${name} must be a number ${what}`,
					PRICES_HINT,
				);
			return value;
		};
		const input = field('input');
		prices[model] = {
			input,
			output: field('output'),
			cachedInput: field('cached_input', input),
			batch: field('batch', DEFAULT_BATCH_FACTOR),
			source: `--prices ${path}`,
			contextWindow:
				e?.context_window === undefined
					? undefined
					: field('context_window', undefined, 'of tokens'),
		};
	}
	return prices;
}

const PRICES_HINT =
	'write {"MODEL": {"input": 0.15, "output": 0.6, "cached_input": 0.075, "batch": 0.5}}: USD per million tokens, batch a factor';

/** The cost of some usage at a price, in USD; `batch` for the Batch API and flex. */
export function costOf(
	price: ModelPrice,
	usage: { readonly input: number; readonly cachedInput?: number; readonly output: number },
	tier: 'realtime' | 'batch' = 'realtime',
): number {
	const cached = Math.min(usage.cachedInput ?? 0, usage.input);
	const dollars =
		((usage.input - cached) * price.input +
			cached * price.cachedInput +
			usage.output * price.output) /
		1e6;
	return tier === 'batch' ? dollars * price.batch : dollars;
}

/**
 * Prices answers at one way of sending, to a billionth of a dollar. A realtime answer is priced
 * by the tier the response says served it (flex: the batch price; priority has no known price);
 * a Batch API answer is a batch's, whatever its body says.
 */
export function pricer(prices: PriceLookup, sent: 'realtime' | 'batch'): Pricer {
	return (model, usage, served) => {
		const price = prices(model);
		const tier = sent === 'batch' ? sent : servedAs(served, sent);
		if (!price || tier === undefined) return null;
		const usd = costOf(
			price,
			{ input: usage.prompt_tokens, output: usage.completion_tokens },
			tier,
		);
		return roundUsd(usd);
	};
}

function servedAs(served: string | undefined, sent: 'realtime' | 'batch') {
	if (served === undefined) return sent;
	if (served === 'flex') return 'batch';
	return served === 'default' || served === 'auto' ? 'realtime' : undefined;
}

/** Whether answers of a tier a response names (null: none) can be priced at all. */
export function tierPriced(served: string | null): boolean {
	return servedAs(served ?? undefined, 'realtime') !== undefined;
}

/** To a billionth of a dollar: no float noise (0.0000034499999999999996) in what scripts read. */
export function roundUsd(usd: number): number {
	return Math.round(usd * 1e9) / 1e9;
}
