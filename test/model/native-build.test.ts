// native/build.mjs: `npm run build` (--if-stale) rebuilds the addon exactly when native/ changed since it was built,
// is a no-op otherwise, and without a compiler says so in one line and leaves no stale addon behind. The real
// script runs on a copy of native/ with a stand-in for node-gyp (npm_config_node_gyp), so that the test checks the
// decisions without compiling; `npm ci` in CI compiles the real addon.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { appendFileSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const NATIVE = new URL("../../native/", import.meta.url).pathname;

// node-gyp's stand-in: `rebuild --directory D` cleans D/build like the real one, then writes the addon (or fails).
const FAKE_GYP = `
const fs = require("node:fs"), path = require("node:path");
const dir = process.argv[process.argv.indexOf("--directory") + 1];
fs.appendFileSync(process.env.FAKE_GYP_LOG, process.argv.slice(2).join(" ") + "\\n");
fs.rmSync(path.join(dir, "build"), { recursive: true, force: true });
if (process.env.FAKE_GYP_FAIL === "1") process.exit(1);
fs.mkdirSync(path.join(dir, "build", "Release"), { recursive: true });
fs.writeFileSync(path.join(dir, "build", "Release", "trimer_kernels.node"), "addon of " + fs.readFileSync(path.join(dir, "kernels.cc"), "utf8"));
`;

function setup(): { dir: string; native: string; run: (args: string[], env?: Record<string, string>) => { stdout: string; stderr: string; status: number | null }; builds: () => number } {
  const dir = mkdtempSync(join(tmpdir(), "trimer-native-build-"));
  const native = join(dir, "native");
  mkdirSync(native);
  copyFileSync(join(NATIVE, "build.mjs"), join(native, "build.mjs"));
  copyFileSync(join(NATIVE, "binding.gyp"), join(native, "binding.gyp"));
  writeFileSync(join(native, "kernels.cc"), "// v1\n");
  writeFileSync(join(dir, "gyp.cjs"), FAKE_GYP);
  const log = join(dir, "gyp.log");
  writeFileSync(log, "");
  const run = (args: string[], env: Record<string, string> = {}) => {
    const e: NodeJS.ProcessEnv = { ...process.env, npm_config_node_gyp: join(dir, "gyp.cjs"), FAKE_GYP_LOG: log, CXX: process.execPath, ...env };
    delete e.TRIMER_SKIP_NATIVE;
    if (env.TRIMER_SKIP_NATIVE) e.TRIMER_SKIP_NATIVE = env.TRIMER_SKIP_NATIVE;
    const r = spawnSync(process.execPath, [join(native, "build.mjs"), ...args], { encoding: "utf8", env: e });
    return { stdout: r.stdout, stderr: r.stderr, status: r.status };
  };
  return { dir, native, run, builds: () => readFileSync(log, "utf8").split("\n").filter(Boolean).length };
}

test("--if-stale builds a missing addon, is a silent no-op when current, rebuilds after a native/ change", () => {
  const { dir, native, run, builds } = setup();
  try {
    const addon = join(native, "build", "Release", "trimer_kernels.node");
    const stamp = join(native, "build", "Release", "trimer_kernels.stamp.json");
    let r = run(["--if-stale"]);
    assert.equal(r.status, 0);
    assert.equal(builds(), 1);
    assert.match(r.stdout, /building the native kernels/);
    assert.ok(existsSync(addon) && existsSync(stamp));
    assert.match(JSON.parse(readFileSync(stamp, "utf8")).sources, /^[0-9a-f]{64}$/);

    r = run(["--if-stale"]);
    assert.equal(r.status, 0);
    assert.equal(builds(), 1, "current: node-gyp is not run");
    assert.equal(r.stdout + r.stderr, "", "current: nothing printed");

    appendFileSync(join(native, "kernels.cc"), "// v2: a pulled change\n");
    r = run(["--if-stale"]);
    assert.equal(builds(), 2, "a changed source rebuilds");
    assert.match(r.stdout, /changed since the addon was built: rebuilding/);
    assert.match(readFileSync(addon, "utf8"), /v2/);
    assert.equal(run(["--if-stale"]).status, 0);
    assert.equal(builds(), 2);

    writeFileSync(join(native, "kernels.h"), "// a new header\n");
    run(["--if-stale"]);
    assert.equal(builds(), 3, "a new file in native/ counts too");

    rmSync(stamp);
    run(["--if-stale"]);
    assert.equal(builds(), 4, "an addon without a stamp (built before stamps existed) is rebuilt once");
    run(["--if-stale"]);
    assert.equal(builds(), 4);

    run([]);
    assert.equal(builds(), 5, "the install script (no flag) always rebuilds");
    assert.ok(readFileSync(join(dir, "gyp.log"), "utf8").split("\n")[4]!.startsWith("rebuild --directory "));

    run(["--if-stale"], { TRIMER_SKIP_NATIVE: "1" });
    run([], { TRIMER_SKIP_NATIVE: "1" });
    assert.equal(builds(), 5, "TRIMER_SKIP_NATIVE=1 builds nothing");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("no compiler: one line, exit 0, the stale addon removed (the engine falls back to the TypeScript kernels)", () => {
  const { dir, native, run, builds } = setup();
  try {
    const addon = join(native, "build", "Release", "trimer_kernels.node");
    run(["--if-stale"]);
    assert.equal(builds(), 1);
    // Current addon, no compiler: nothing to do, nothing removed.
    let r = run(["--if-stale"], { CXX: join(dir, "no-such-g++") });
    assert.equal(r.status, 0);
    assert.equal(r.stdout + r.stderr, "");
    assert.ok(existsSync(addon));

    appendFileSync(join(native, "kernels.cc"), "// v2\n");
    r = run(["--if-stale"], { CXX: join(dir, "no-such-g++") });
    assert.equal(r.status, 0);
    assert.equal(builds(), 1, "node-gyp is not started without a compiler");
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /no C\+\+ compiler .*no-such-g\+\+.*stale addon was removed.*TypeScript kernels/);
    assert.ok(!existsSync(addon));

    r = run([], { CXX: "no-such-compiler-on-path", PATH: dir });
    assert.equal(r.status, 0);
    assert.match(r.stderr, /no C\+\+ compiler \(no-such-compiler-on-path/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a failed build: exit 0 with the fallback warning, no addon and no stamp left", () => {
  const { dir, native, run, builds } = setup();
  try {
    run(["--if-stale"]);
    appendFileSync(join(native, "kernels.cc"), "// does not compile\n");
    const r = run(["--if-stale"], { FAKE_GYP_FAIL: "1" });
    assert.equal(r.status, 0);
    assert.equal(builds(), 2);
    assert.match(r.stderr, /did not build; the engine will use the TypeScript kernels/);
    assert.ok(!existsSync(join(native, "build", "Release", "trimer_kernels.node")));
    assert.ok(!existsSync(join(native, "build", "Release", "trimer_kernels.stamp.json")));
    run(["--if-stale"]);
    assert.equal(builds(), 3, "the next build tries again");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
