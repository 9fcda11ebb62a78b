"""Peer for bench/curate: MinHash + LSH near-duplicate detection written the way the Python library datasketch does
it (SHA-1 of each shingle truncated to 32 bits, 128 permutations (a*h + b) mod (2^61 - 1) vectorised with numpy,
bands hashed into dicts, candidates verified by exact Jaccard, union-find). datasketch itself cannot be installed on
this machine (no PyPI access), so this is that algorithm on the same primitives, not the package.
Usage: python3 peer_minhash.py QUESTIONS.txt THRESHOLD BANDS ROWS   (one question per line)"""
import hashlib
import re
import sys
import time

import numpy as np

MERSENNE = np.uint64((1 << 61) - 1)
MAX_HASH = np.uint64((1 << 32) - 1)
TOKEN = re.compile(r"[a-z]+|\d+|[^\sa-z\d]")


def shingles(text, k=3):
    t = TOKEN.findall(text.lower())
    if len(t) <= k:
        return {" ".join(t)} if t else set()
    return {" ".join(t[i:i + k]) for i in range(len(t) - k + 1)}


def main():
    path, threshold, bands, rows = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    with open(path, encoding="utf8") as f:
        docs = [line.rstrip("\n") for line in f]
    num_perm = 128
    rng = np.random.RandomState(1)
    a = rng.randint(1, int(MERSENNE), size=num_perm, dtype=np.uint64)
    b = rng.randint(0, int(MERSENNE), size=num_perm, dtype=np.uint64)
    t0 = time.perf_counter()
    sets, tables = [], [dict() for _ in range(bands)]
    parent = list(range(len(docs)))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    candidates = 0
    for d, text in enumerate(docs):
        s = shingles(text)
        sets.append(s)
        if not s:
            continue
        hv = np.array([int.from_bytes(hashlib.sha1(x.encode("utf8")).digest()[:4], "little") for x in s], dtype=np.uint64)
        phv = np.bitwise_and((np.outer(hv, a) + b) % MERSENNE, MAX_HASH)
        sig = phv.min(axis=0)
        for i in range(bands):
            key = sig[i * rows:(i + 1) * rows].tobytes()
            bucket = tables[i].setdefault(key, [])
            for o in bucket:
                if find(o) == find(d):
                    continue
                candidates += 1
                so = sets[o]
                if len(s & so) / len(s | so) >= threshold:
                    ro, rd = find(o), find(d)
                    parent[max(ro, rd)] = min(ro, rd)
            bucket.append(d)
    secs = time.perf_counter() - t0
    removed = sum(1 for i in range(len(docs)) if find(i) != i)
    print(f"{len(docs)} {secs:.3f} {removed} {candidates}")


main()
