import { test } from "node:test";
import assert from "node:assert/strict";
import { DrawScratch, drawToken, logSoftmaxAt } from "../../src/model/draw.js";
import { createRng, type Rng } from "../../src/util/rng.js";

/** A generator that returns the given uniforms in turn (and counts the calls). */
function fixed(us: number[]): Rng & { calls: number } {
  const base = createRng(1);
  let i = 0;
  const r = { ...base, calls: 0, next: () => { r.calls++; return us[i++ % us.length]!; } };
  return r;
}

/**
 * The nucleus by the definition (a full sort, larger probability first, ties to the lower id; the shortest prefix
 * of the top-k whose mass reaches topP of the top-k mass), and the draw for uniform u walking it in id order.
 */
function reference(row: Float32Array, T: number, topP: number, topK: number, u: number): { nucleus: number[]; token: number } {
  const V = row.length;
  let mx = -Infinity;
  for (const x of row) mx = Math.max(mx, x);
  const p = Array.from(row, (x) => Math.exp((x - mx) / T));
  const order = Array.from({ length: V }, (_, j) => j).sort((a, b) => p[b]! - p[a]! || a - b);
  const k = topK > 0 && topK < V ? topK : V;
  const top = order.slice(0, k);
  const mass = top.reduce((s, j) => s + p[j]!, 0);
  let n = k;
  if (topP < 1) {
    let acc = 0;
    for (let i = 0; i < k; i++) {
      acc += p[top[i]!]!;
      if (acc >= topP * mass) { n = i + 1; break; }
    }
  }
  const nucleus = top.slice(0, n).sort((a, b) => a - b);
  const total = nucleus.reduce((s, j) => s + p[j]!, 0);
  let x = u * total;
  for (const j of nucleus) {
    x -= p[j]!;
    if (x < 0) return { nucleus, token: j };
  }
  return { nucleus, token: nucleus.at(-1)! };
}

test("drawToken draws from exactly the top-k / top-p nucleus of a full sort, one uniform per draw", () => {
  const g = createRng(5);
  const s = new DrawScratch(400);
  const us = Array.from({ length: 25 }, (_, i) => (i + 0.5) / 25);
  for (let trial = 0; trial < 300; trial++) {
    const V = 1 + g.int(0, 399);
    const spread = [0.01, 1, 4, 20][trial % 4]!;
    const row = Float32Array.from({ length: V }, () => g.normal() * spread);
    // Ties: copy some logits (equal probabilities are ordered by id).
    for (let i = 0; i < V / 8; i++) row[g.int(0, V - 1)] = row[g.int(0, V - 1)]!;
    const T = [0.7, 1, 1.3][trial % 3]!;
    const topP = [1, 0.95, 0.5, 0.1, 1e-6][trial % 5]!;
    const topK = [0, 1, 5, 50, V][trial % 5 === 0 ? (trial >> 3) % 5 : trial % 7 % 5]!;
    if (topP === 1 && (topK === 0 || topK >= V)) continue; // plain softmax: covered below
    for (const u of us) {
      const rng = fixed([u]);
      const tok = drawToken(row, T, topP, topK, rng, s);
      const ref = reference(row, T, topP, topK, u);
      assert.equal(rng.calls, 1);
      assert.equal(tok, ref.token, `V ${V} T ${T} topP ${topP} topK ${topK} u ${u}: nucleus ${ref.nucleus.length}`);
      assert.equal(s.logprob, logSoftmaxAt(row, tok));
    }
  }
});

test("drawToken: greedy takes the first maximum without a uniform; plain softmax walks ids; masked ids never come out", () => {
  const s = new DrawScratch(8);
  const row = Float32Array.from([0.5, 2, -1, 2, 0, -Infinity, 1, -Infinity]);
  const greedy = fixed([0.3]);
  assert.equal(drawToken(row, 0, 0.9, 3, greedy, s), 1);
  assert.equal(greedy.calls, 0);
  assert.equal(s.logprob, logSoftmaxAt(row, 1));
  // Temperature 1, no cut: u walks the ids in order over softmax(row).
  const e = Array.from(row, (x) => Math.exp(x - 2));
  const total = e.reduce((a, b) => a + b, 0);
  let acc = 0;
  for (let j = 0; j < row.length; j++) {
    if (e[j] === 0) continue;
    const mid = (acc + e[j]! / 2) / total;
    acc += e[j]!;
    assert.equal(drawToken(row, 1, 1, 0, fixed([mid]), s), j);
  }
  // Every uniform, any cut: never a -Infinity id.
  for (let i = 0; i < 200; i++) {
    const u = i / 200;
    for (const [T, p, k] of [[1, 1, 0], [2, 1, 0], [1, 0.999999, 0], [1, 1, 7], [5, 1, 8]] as const) {
      const tok = drawToken(row, T, p, k, fixed([u]), s);
      assert.ok(row[tok] !== -Infinity, `T ${T} topP ${p} topK ${k} u ${u} gave masked id ${tok}`);
    }
  }
});

test("drawToken's empirical frequencies follow the tempered, cut distribution", () => {
  const s = new DrawScratch(6);
  const row = Float32Array.from([1, 0.2, 2, -0.5, 1.5, 0]);
  const T = 0.8, topP = 0.8;
  const rng = createRng(11);
  const counts = new Array<number>(6).fill(0);
  const n = 40_000;
  for (let i = 0; i < n; i++) counts[drawToken(row, T, topP, 0, rng, s)]!++;
  // Nucleus at T 0.8, top-p 0.8: ids 2, 4, 0 (masses 0.47, 0.25, 0.13 of the full softmax: 0.85 >= 0.8).
  const w = Array.from(row, (x) => Math.exp(x / T));
  const nucleus = [0, 2, 4];
  const z = nucleus.reduce((a, j) => a + w[j]!, 0);
  for (let j = 0; j < 6; j++) {
    const want = nucleus.includes(j) ? w[j]! / z : 0;
    assert.ok(Math.abs(counts[j]! / n - want) < 0.01, `id ${j}: ${counts[j]! / n} vs ${want}`);
  }
});
