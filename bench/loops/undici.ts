/**
 * A bare loop over undici's `request`, on a keep-alive pool sized to the concurrency: the
 * least a Node client can do per request. Usage: node bench/loops/undici.ts BASE_URL CONCURRENCY < prompts
 */
import { Agent, request } from 'undici';
import { runWorkers } from './workers.ts';

const [baseURL, concurrency = '64'] = process.argv.slice(2);
const dispatcher = new Agent({ connections: Number(concurrency) });

await runWorkers(Number(concurrency), async (prompt) => {
	const { body } = await request(`${baseURL}/chat/completions`, {
		method: 'POST',
		dispatcher,
		headers: { 'content-type': 'application/json', authorization: 'Bearer bench' },
		body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: prompt }] }),
	});
	const answer = (await body.json()) as { choices: { message: { content: string } }[] };
	return answer.choices[0]?.message.content;
});
await dispatcher.close();
