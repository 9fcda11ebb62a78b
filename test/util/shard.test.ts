// The --shard split: I/N parsing (1-based, one-line errors), the position rule with blocks, and the check that a
// merge gets every shard of one split exactly once.
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkShardSet, inShard, parseShard, shardPositions } from "../../src/util/shard.js";

test("parseShard: I/N with 1 ≤ I ≤ N; anything else names the flag and an example", () => {
  assert.deepEqual(parseShard("2/4"), { index: 2, count: 4 });
  assert.deepEqual(parseShard(" 1 / 1 "), { index: 1, count: 1 });
  for (const bad of ["0/4", "5/4", "4", "1/0", "a/b", "-1/3", "1.5/3", "", "1/2/3"]) {
    assert.throws(() => parseShard(bad), { name: "UsageError", message: new RegExp(`^--shard must be I/N with 1 ≤ I ≤ N \\(e\\.g\\. --shard 2/4\\), got "${bad.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}"$`) }, bad);
  }
});

test("inShard: every position in exactly one shard; blocks keep runs of consecutive positions together", () => {
  for (const count of [1, 2, 3, 7]) {
    for (const block of [1, 4, 16]) {
      const owners = Array.from({ length: 100 }, (_, p) => [...Array(count).keys()].filter((i) => inShard(p, { index: i + 1, count }, block)));
      assert.ok(owners.every((o) => o.length === 1), `count ${count} block ${block}`);
    }
  }
  assert.deepEqual(shardPositions(10, { index: 2, count: 3 }), [1, 4, 7]);
  assert.deepEqual(shardPositions(12, { index: 1, count: 2 }, 4), [0, 1, 2, 3, 8, 9, 10, 11]);
  assert.deepEqual(shardPositions(12, { index: 2, count: 2 }, 4), [4, 5, 6, 7]);
});

test("checkShardSet: all of 1..N, each once, one N", () => {
  assert.equal(checkShardSet(["2/3", "1/3", "3/3"], ["b", "a", "c"]), 3);
  assert.throws(() => checkShardSet(["1/3", "3/3"], ["a", "c"]), { message: "shard 2/3 missing: give all 3 parts to merge" });
  assert.throws(() => checkShardSet(["1/2", "1/2"], ["a", "b"]), { message: "b and a are both shard 1/2" });
  assert.throws(() => checkShardSet(["1/2", "2/3"], ["a", "b"]), /b is shard 2\/3 but a is shard 1\/2/);
});
