/**
 * The official `wavespeed` SDK in a plain Promise pool, as a user without render would write it: N workers take
 * the next job, `client.run(model, input, {pollInterval})`, and fetch its output to a file. Run as a child of a
 * benchmark (with bench/time-warp.mjs preloaded when time is scaled); prints one JSON line of figures. Not a
 * benchmark itself (no -bench suffix).
 *
 * env: SDK_BASE_URL, SDK_API_KEY, SDK_JOBS (JSON [{model, input}]), SDK_CONCURRENCY, SDK_POLL_SECONDS, SDK_IMAGE
 * (a file uploaded once; its URL replaces "$IMAGE" in every input), SDK_OUT (a folder for the outputs).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client } from 'wavespeed';

const jobs = JSON.parse(process.env.SDK_JOBS);
const concurrency = Number(process.env.SDK_CONCURRENCY);
const pollInterval = Number(process.env.SDK_POLL_SECONDS);
const client = new Client(process.env.SDK_API_KEY, { baseUrl: process.env.SDK_BASE_URL });

// The wall starts before the upload, as render's (its apply phase uploads the image first): the same work timed.
const started = Date.now();
const imageUrl = await client.upload(process.env.SDK_IMAGE);
let next = 0;
let failed = 0;
async function worker() {
  while (next < jobs.length) {
    const i = next++;
    const job = jobs[i];
    const input = Object.fromEntries(Object.entries(job.input).map(([k, v]) => [k, v === '$IMAGE' ? imageUrl : v]));
    try {
      const { outputs } = await client.run(job.model, input, { pollInterval, timeout: 3600 });
      const bytes = Buffer.from(await (await fetch(outputs[0])).arrayBuffer());
      writeFileSync(path.join(process.env.SDK_OUT, `${i}.mp4`), bytes);
    } catch (err) {
      failed++;
      console.error(String(err));
    }
  }
}
await Promise.all(Array.from({ length: concurrency }, worker));
process.stdout.write(`${JSON.stringify({ elapsedMs: Date.now() - started, failed })}\n`);
