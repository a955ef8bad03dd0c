/** Small pieces of wording used in messages across the layers. */

/** `1 prompt`, `2 prompts`. */
export function plural(count: number, noun: string, nouns = `${noun}s`): string {
	return `${count} ${count === 1 ? noun : nouns}`;
}

/** An argument as a POSIX shell reads it back: bare when safe, else single-quoted. */
export function shellQuote(arg: string): string {
	return /^[\w./:=,@%+-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", "'\\''")}'`;
}

/** Dollars to the cent, or to 4 significant digits under a cent. */
export function formatUsd(usd: number): string {
	if (usd === 0) return '$0';
	if (usd >= 0.01) return `$${usd.toFixed(2)}`;
	// Four significant digits, never in exponent notation ($7.5e-7 is no price anyone reads).
	const decimals = Math.min(20, 3 - Math.floor(Math.log10(usd)));
	return `$${usd.toFixed(decimals).replace(/\.?0+$/, '')}`;
}
