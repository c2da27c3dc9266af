// Node's floor for decoding: JSON.parse of the load-curve body plus a map to numbers.
// Usage: node --expose-gc bench/node_decode.mjs <body file> <timed iterations>
import { readFileSync } from 'node:fs';

const [path, iterations] = process.argv.slice(2);
const status = (field) =>
  Number(new RegExp(`${field}:\\s*(\\d+)`).exec(readFileSync('/proc/self/status', 'utf8'))[1]);
const decode = (body) =>
  JSON.parse(body).grandeur[0].points.map((p) => ({ date: p.d, value: Number(p.v), nature: p.n }));

const body = readFileSync(path, 'utf8');
global.gc();
const heap0 = process.memoryUsage().heapUsed;
const rss0 = status('VmRSS');
let kept = decode(body);
const peak = status('VmHWM') - rss0;
global.gc();
const heapKib = Math.floor((process.memoryUsage().heapUsed - heap0) / 1024);
if (kept.length !== 35040) throw new Error('unexpected body');
kept = null;
const times = [];
for (let i = 0; i < Number(iterations); i++) {
  global.gc();
  const t0 = process.hrtime.bigint();
  const r = decode(body);
  times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  if (r.length !== 35040) throw new Error('unexpected body');
}
times.sort((a, b) => a - b);
console.log(`seconds=${times[Math.floor((times.length - 1) / 2)]}\nrss_before_kib=${rss0}\n` +
  `peak_kib=${peak}\nheap_kib=${heapKib}\nhwm_kib=${status('VmHWM')}\n` +
  `private_kib=${Number(/Private_Dirty:\s*(\d+)/.exec(readFileSync('/proc/self/smaps_rollup', 'utf8'))[1])}`);
