const UNIT_MS: Readonly<Record<string, number>> = {
	d: 86_400_000,
	h: 3_600_000,
	m: 60_000,
	s: 1000,
	ms: 1,
	us: 0.001,
	µs: 0.001,
	ns: 0.000001,
};
const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|us|µs|ns|d|h|m|s))+$/;
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|us|µs|ns|d|h|m|s)/g;

/** Parses durations as OpenAI writes them (`1s`, `6m0s`, `20ms`, `1h2m3.5s`, and `7d`); a bare number is seconds. */
export function parseDuration(text: string | null | undefined): number | undefined {
	if (!text) return undefined;
	const trimmed = text.trim();
	if (/^\d+(?:\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
	if (!DURATION.test(trimmed)) return undefined;
	let ms = 0;
	for (const [, amount, unit] of trimmed.matchAll(DURATION_PART))
		ms += Number(amount) * (UNIT_MS[unit as string] as number);
	return ms;
}
