// Near-duplicate detection throughput: documents per second through the whole near-dedupe step (normalise, word
// 3-shingles, 128-function MinHash, LSH banding for Jaccard 0.8, exact-Jaccard verification, union-find) over
// 100,000 synthetic problems from src/data/synth. Goal from the design: tens of thousands of documents per second.
// Peer, measured in the same run on the same texts: the datasketch algorithm in Python + numpy
// (bench/curate/peer_minhash.py; datasketch itself is not installable here). Also checks quality: on a subset, the
// LSH clusters against exact all-pairs Jaccard. Run: npm run bench curate   (--n N to change the corpus size)
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { generateWorked } from "../../src/data/synth/index.js";
import { nearDedupeStep, collect, fromArray, normalizeText, shingleSet, jaccardSorted, chooseBands, createMinHasher, type CurateRecord } from "../../src/data/curate/index.js";
import { FirstRootUnionFind } from "../../src/data/curate/minhash.js";

const nArg = process.argv.indexOf("--n");
const N = nArg > 0 ? Number(process.argv[nArg + 1]) : 100_000;
const THRESHOLD = 0.8;

console.log(`near-dedupe throughput, ${N} synthetic problems, threshold ${THRESHOLD}, 128 perms, word 3-shingles; load ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
const tg = performance.now();
const questions = Array.from({ length: N }, (_, i) => generateWorked(2024, i).question);
console.log(`  generated in ${((performance.now() - tg) / 1000).toFixed(1)} s; mean ${(questions.reduce((a, q) => a + q.length, 0) / N).toFixed(0)} chars/question`);
const records: CurateRecord[] = questions.map((q, i) => ({ id: `synth/2024/${i}`, question: q }));

// warm-up on a slice so the JIT has compiled the hot loops
await collect(nearDedupeStep(fromArray(records.slice(0, 5000))).records);

const c0 = process.cpuUsage();
const t0 = performance.now();
const run = nearDedupeStep(fromArray(records), { threshold: THRESHOLD });
const kept = await collect(run.records);
const secs = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(c0);
const rep = run.report();
const rate = N / secs;
console.log(`  trimer: ${secs.toFixed(2)} s wall (${((cpu.user + cpu.system) / 1e6).toFixed(2)} s CPU) = ${Math.round(rate).toLocaleString("en")} docs/s (${Math.round(N / ((cpu.user + cpu.system) / 1e6)).toLocaleString("en")} per CPU-second)`);
console.log(`    bands × rows ${rep.bands} × ${rep.rows} (S-curve ${rep.sCurvePoint.toFixed(3)}, P(candidate | J = ${THRESHOLD}) = ${rep.probabilityAtThreshold.toFixed(3)}); candidates ${rep.candidatePairs}, verified ${rep.verifiedPairs}, clusters ${rep.clusters}, removed ${rep.removed}, kept ${kept.length}`);

// the full-bucket variant (every document stays in its buckets): the recall the compact default gives up
{
  const t1 = performance.now();
  const full = nearDedupeStep(fromArray(records), { threshold: THRESHOLD, fullBuckets: true });
  const k = await collect(full.records);
  const s1 = (performance.now() - t1) / 1000;
  console.log(`    fullBuckets: ${s1.toFixed(2)} s = ${Math.round(N / s1).toLocaleString("en")} docs/s, removed ${N - k.length} (compact default: ${rep.removed}), candidates ${full.report().candidatePairs}`);
}

// stage costs
{
  const t1 = performance.now();
  const sets = questions.map((q) => shingleSet(normalizeText(q)));
  const t2 = performance.now();
  const h = createMinHasher(128);
  const sig = new Uint32Array(128);
  for (const s of sets) h.signature(s, sig, 0);
  const t3 = performance.now();
  console.log(`    stages: normalise+shingle ${((t2 - t1) / 1000).toFixed(2)} s, signatures ${((t3 - t2) / 1000).toFixed(2)} s, rest (LSH, verify, report) ≈ ${(secs - (t3 - t1) / 1000).toFixed(2)} s`);
}

// quality: LSH clusters vs exact all-pairs on a subset
{
  const M = Math.min(N, 3000);
  const sets = questions.slice(0, M).map((q) => shingleSet(normalizeText(q)));
  const uf = new FirstRootUnionFind(M);
  let pairs = 0;
  for (let i = 0; i < M; i++) for (let j = i + 1; j < M; j++) if (jaccardSorted(sets[i]!, sets[j]!) >= THRESHOLD) { pairs++; uf.union(i, j); }
  const exactKept = new Set(Array.from({ length: M }, (_, i) => i).filter((i) => uf.find(i) === i).map((i) => `synth/2024/${i}`));
  const lsh = await collect(nearDedupeStep(fromArray(records.slice(0, M)), { threshold: THRESHOLD }).records);
  const lshKept = new Set(lsh.map((r) => r.id as string));
  const missed = [...lshKept].filter((id) => !exactKept.has(id)).length;
  const extra = [...exactKept].filter((id) => !lshKept.has(id)).length;
  console.log(`    quality on first ${M}: exact all-pairs has ${pairs} pairs ≥ ${THRESHOLD}, keeps ${exactKept.size}; LSH keeps ${lshKept.size} (${missed} duplicates missed, ${extra} wrongly removed)`);
}

// peer
{
  const dir = mkdtempSync(join(tmpdir(), "bench-curate-"));
  const file = join(dir, "questions.txt");
  writeFileSync(file, questions.map((q) => normalizeText(q).replace(/\n/g, " ")).join("\n") + "\n");
  const { bands, rows } = chooseBands(THRESHOLD, 128);
  const py = spawnSync("python3", [join(dirname(fileURLToPath(import.meta.url)), "peer_minhash.py"), file, String(THRESHOLD), String(bands), String(rows)], { encoding: "utf8" });
  if (py.status !== 0) {
    console.log(`  peer (python3 + numpy) did not run: ${(py.stderr || py.error?.message || "").trim().split("\n").pop()}`);
  } else {
    const [n, s, removed] = py.stdout.trim().split(/\s+/).map(Number);
    const peerRate = n! / s!;
    console.log(`  peer, datasketch algorithm in Python + numpy, same ${n} docs: ${s!.toFixed(2)} s wall = ${Math.round(peerRate).toLocaleString("en")} docs/s, removed ${removed}`);
    console.log(`  ratio trimer / peer: ${(rate / peerRate).toFixed(1)}x`);
  }
}
console.log(`  goal: tens of thousands of docs/s — ${rate >= 10_000 ? "met" : "NOT met"} (${Math.round(rate).toLocaleString("en")} docs/s)`);
