/**
 * A bare fetch loop: what a careful hand-written script does, with nothing promptbatch adds (no
 * pacing, retries, ordering, journal). Usage: node bench/loops/fetch.ts BASE_URL CONCURRENCY < prompts
 */
import { runWorkers } from './workers.ts';

const [baseURL, concurrency = '64'] = process.argv.slice(2);

await runWorkers(Number(concurrency), async (prompt) => {
	const response = await fetch(`${baseURL}/chat/completions`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', authorization: 'Bearer bench' },
		body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: prompt }] }),
	});
	const body = (await response.json()) as { choices: { message: { content: string } }[] };
	return body.choices[0]?.message.content;
});
