/**
 * Job ids: UUIDs of version 7 (RFC 9562), whose first 48 bits are the Unix time in ms, so the ids
 * of a process rise with time. In the SQL stores a job's id is the key of the `jobs` primary key
 * and of `job_actions`' index by job: random (version 4) ids sent every insert, and every update's
 * new index entry, to a random leaf of those B-trees, while rising ids go to the few rightmost
 * leaves, which stay in cache. Within one millisecond a 12-bit counter (the `rand_a` field, RFC
 * 9562 §6.2 method 1) keeps them rising; past 4,096 ids in a millisecond the time field runs
 * ahead by one until the clock catches up. The other 62 bits are random.
 */
import { randomFillSync } from "node:crypto";

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, "0"));

/** Random bytes taken 8 per id from a pool refilled when spent. */
const POOL = Buffer.allocUnsafe(4096);
let offset = POOL.length;

let lastMs = -1;
let counter = 0;

/** A new job id: a version-7 UUID, greater than every id this process made before. */
export function newJobId(now: number = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    counter = 0;
  } else if (++counter > 0xfff) {
    lastMs++;
    counter = 0;
  }
  if (offset + 8 > POOL.length) {
    randomFillSync(POOL);
    offset = 0;
  }
  const r = offset;
  offset += 8;
  const ms = lastMs;
  const high = Math.floor(ms / 0x1000000); // the time's upper 24 bits
  const low = ms % 0x1000000; // and its lower 24
  return (
    (HEX[(high >>> 16) & 0xff] as string) +
    HEX[(high >>> 8) & 0xff] +
    HEX[high & 0xff] +
    HEX[(low >>> 16) & 0xff] +
    "-" +
    HEX[(low >>> 8) & 0xff] +
    HEX[low & 0xff] +
    "-" +
    HEX[0x70 | (counter >>> 8)] +
    HEX[counter & 0xff] +
    "-" +
    HEX[0x80 | ((POOL[r] as number) & 0x3f)] +
    HEX[POOL[r + 1] as number] +
    "-" +
    HEX[POOL[r + 2] as number] +
    HEX[POOL[r + 3] as number] +
    HEX[POOL[r + 4] as number] +
    HEX[POOL[r + 5] as number] +
    HEX[POOL[r + 6] as number] +
    HEX[POOL[r + 7] as number]
  );
}
