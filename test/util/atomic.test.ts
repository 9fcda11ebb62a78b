import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeFileAtomic, writeFileAtomicSync } from "../../src/util/atomic.js";

test("atomic writes replace the file and leave no temp files", async () => {
  const dir = mkdtempSync(join(tmpdir(), "trimer-atomic-"));
  const p = join(dir, "sub", "x.json");
  writeFileAtomicSync(p, "one");
  assert.equal(readFileSync(p, "utf8"), "one");
  await writeFileAtomic(p, "two");
  assert.equal(readFileSync(p, "utf8"), "two");
  assert.deepEqual(readdirSync(join(dir, "sub")), ["x.json"]);
});
