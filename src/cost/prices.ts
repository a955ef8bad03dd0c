import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { UsageError } from '../core/errors.ts';
import type { Pricer } from '../core/types.ts';
import { PriceMemo } from './price-memo.ts';

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

type CalcPrice = typeof import('@pydantic/genai-prices').calcPrice;

const require = createRequire(import.meta.url);

/**
 * The prices a run uses: those of `pricesFile` (`{"MODEL": {"input", "output", "cached_input",
 * "batch"}}`) over @pydantic/genai-prices, which is maintained upstream and holds no batch or
 * flex prices (hence the factor). The price data is loaded only for a model neither names nor
 * `memoDir`'s memo of earlier runs holds (see PriceMemo): most runs never load it.
 */
export async function loadPrices(pricesFile?: string, memoDir?: string): Promise<PriceLookup> {
	const own = pricesFile === undefined ? {} : readPricesFile(pricesFile);
	const version = memoDir === undefined ? undefined : priceDataVersion();
	const memo =
		memoDir === undefined || version === undefined
			? undefined
			: new PriceMemo<ModelPrice>(memoDir, version);
	let calcPrice: CalcPrice | undefined;
	const lookup: PriceLookup = (model) => {
		if (Object.hasOwn(own, model)) return own[model];
		const kept = memo?.get(model);
		if (kept === null) return undefined;
		if (isModelPrice(kept)) return kept;
		// The CommonJS build, loaded synchronously: a model first named by an answer is priced
		// as that answer is recorded.
		calcPrice ??= (require('@pydantic/genai-prices') as { calcPrice: CalcPrice }).calcPrice;
		const price = askPriceData(calcPrice, model);
		memo?.set(model, price ?? null);
		return price;
	};
	// Asked once a model: a run prices every answer.
	const known = new Map<string, ModelPrice | undefined>();
	return (model) => {
		if (!known.has(model)) known.set(model, lookup(model));
		return known.get(model);
	};
}

function askPriceData(calcPrice: CalcPrice, model: string): ModelPrice | undefined {
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
		source: PRICE_DATA,
		contextWindow: found.model.context_window ?? undefined,
	};
}

const PRICE_DATA = '@pydantic/genai-prices';

/** The price data's version, from its package.json (its exports map hides the file). */
function priceDataVersion(): string | undefined {
	try {
		const entry = require.resolve(PRICE_DATA);
		const manifest = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8'));
		return typeof manifest.version === 'string' ? manifest.version : undefined;
	} catch {
		return undefined;
	}
}

/** A memo entry of the shape the price data gave: anything else is asked again. */
function isModelPrice(value: unknown): value is ModelPrice {
	const v = value as Record<string, unknown> | null;
	const usd = (x: unknown) => typeof x === 'number' && Number.isFinite(x) && x >= 0;
	return (
		typeof v === 'object' &&
		v !== null &&
		usd(v.input) &&
		usd(v.output) &&
		usd(v.cachedInput) &&
		usd(v.batch) &&
		v.source === PRICE_DATA &&
		(v.contextWindow === undefined || usd(v.contextWindow))
	);
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
