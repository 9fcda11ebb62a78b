import { test } from "node:test";
import assert from "node:assert/strict";
import { Budget, VerifyLimit } from "../../src/verify/limits.js";
import * as Q from "../../src/verify/rational.js";

const b = () => new Budget({});

test("rationals stay in lowest terms with a positive denominator", () => {
  assert.deepEqual(Q.rat(6n, -4n), { n: -3n, d: 2n });
  assert.deepEqual(Q.add(Q.rat(1n, 6n), Q.rat(1n, 3n), b()), { n: 1n, d: 2n });
  assert.deepEqual(Q.mul(Q.rat(2n, 3n), Q.rat(9n, 4n), b()), { n: 3n, d: 2n });
  assert.equal(Q.div(Q.ONE, Q.ZERO, b()), null);
  assert.equal(Q.cmp(Q.rat(1n, 3n), Q.rat(1n, 2n)), -1);
});

test("decimal literals parse exactly", () => {
  assert.deepEqual(Q.parseDecimal("0.35625", b()), { n: 57n, d: 160n });
  assert.deepEqual(Q.parseDecimal(".5", b()), { n: 1n, d: 2n });
  assert.deepEqual(Q.parseDecimal("1.5e-3", b()), { n: 3n, d: 2000n });
  assert.throws(() => Q.parseDecimal("9".repeat(5000), b()), VerifyLimit);
});

test("powers and roots are exact, and refused before they grow past the bit cap", () => {
  assert.deepEqual(Q.powInt(Q.rat(2n, 3n), -3n, b()), { n: 27n, d: 8n });
  assert.equal(Q.powInt(Q.ZERO, -1n, b()), null);
  assert.deepEqual(Q.powInt(Q.ratInt(-1), 10n ** 12n, b()), { n: 1n, d: 1n });
  assert.throws(() => Q.powInt(Q.ratInt(10), 10n ** 10n, b()), VerifyLimit);
  assert.throws(() => Q.powInt(Q.ratInt(3), 150_000n, b()), VerifyLimit); // 237,744 bits > 200,000
  assert.deepEqual(Q.rootExact(Q.rat(8n, 27n), 3, b()), { n: 2n, d: 3n });
  assert.deepEqual(Q.rootExact(Q.ratInt(-32), 5, b()), { n: -2n, d: 1n });
  assert.equal(Q.rootExact(Q.ratInt(2), 2, b()), null);
  assert.equal(Q.rootExact(Q.ratInt(-4), 2, b()), null);
  assert.throws(() => Q.factorial(100_000n, b()), VerifyLimit);
  assert.equal(Q.factorial(20n, b()).n, 2432902008176640000n);
});

test("conversion to double survives numerators and denominators beyond 2^1024", () => {
  const big = 10n ** 400n;
  assert.equal(Q.toNumber({ n: 3n * big, d: 2n * big }), 1.5);
  assert.equal(Q.toNumber(Q.rat(1n, 3n)), 1 / 3);
  assert.equal(Q.bitLength(255n), 8);
  assert.equal(Q.bitLength(256n), 9);
});
