// The Node.js client: the npm package linky 2.0.2 (bench/node_modules), its hard-coded
// base URL redirected to the loopback server by an axios request interceptor.
// Usage: node bench/node_client.mjs <base url> <token> <requests>
import { readFileSync } from 'node:fs';
import axios from 'axios';
import { Session } from 'linky';

const [baseUrl, token, n] = process.argv.slice(2);
axios.interceptors.request.use((config) => {
  config.url = config.url.replace('https://conso.boris.sh/api', baseUrl);
  return config;
});

const hwmKib = () => Number(/VmHWM:\s*(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]);
const privateKib = () =>
  Number(/Private_Dirty:\s*(\d+)/.exec(readFileSync('/proc/self/smaps_rollup', 'utf8'))[1]);
// Day i before 2026-01-01 and the day after it, as YYYY-MM-DD.
const day = (i) => new Date(Date.UTC(2026, 0, 1 - i)).toISOString().slice(0, 10);

const session = new Session(token);
const t0 = process.hrtime.bigint();
for (let i = 1; i <= Number(n); i++) {
  const data = await session.getDailyConsumption(day(i), day(i - 1));
  if (data.interval_reading.length !== 1) throw new Error('unexpected body');
}
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(`seconds=${seconds}\nhwm_kib=${hwmKib()}\nprivate_kib=${privateKib()}`);
