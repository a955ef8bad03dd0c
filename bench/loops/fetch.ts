/**
 * A bare fetch loop: what a careful hand-written script does, with nothing promptbatch adds (no
 * pacing, retries, ordering, journal). Bare fetch, a fixed number of workers, one JSON line a
 * result. Usage: node bench/loops/fetch.ts BASE_URL CONCURRENCY < prompts
 */
import { text } from 'node:stream/consumers';

const [baseURL, concurrency = '64'] = process.argv.slice(2);
const prompts = (await text(process.stdin)).split('\n').filter((line) => line !== '');
let next = 0;
const out: string[] = [];

async function worker(): Promise<void> {
	while (next < prompts.length) {
		const index = next++;
		const response = await fetch(`${baseURL}/chat/completions`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', authorization: 'Bearer bench' },
			body: JSON.stringify({
				model: 'gpt-4o-mini',
				messages: [{ role: 'user', content: prompts[index] }],
			}),
		});
		const body = (await response.json()) as { choices: { message: { content: string } }[] };
		out.push(JSON.stringify({ index: index + 1, response: body.choices[0]?.message.content }));
	}
}

await Promise.all(Array.from({ length: Number(concurrency) }, worker));
process.stdout.write(`${out.join('\n')}\n`);
