#!/usr/bin/env python3
"""Measures how rare bytes and byte pairs are in web-server log text, for the line filter's
choice of which four-byte window of a literal to search for (src/logscan/filter/rarity.rs).

    scripts/rarity-table.py LOG [LOG...] > table.rs
    scripts/rarity-table.py --common LOG [LOG...] > common.rs

Each LOG (plain text) contributes 16 slices of up to 1 MB spread over it, lowercased (the
filter searches lowercased text), and every LOG weighs the same however long it is, so a
small real log counts as much as a large generated one. Prints the two tables in the form
rarity.rs holds them:

- BYTE_BITS: -log2 of each byte's share (0x00..0x7f); bytes not seen count 16;
- PAIR_BITS: for each first byte a (0x20..0x7f), -log2 of the share of bytes after `a`
  that are `b`, as `b'a' + bits`, capped at 20 (`u`); a first byte seen fewer than 64
  times takes the byte shares instead.

With --common it prints COMMON_4 instead: every four-byte string whose share of positions
is at least 2^-COMMON_BITS, sorted, with -log2 of its share. A first-order estimate from
the pairs misses what longer runs repeat on every line (`.aspx` in IIS logs, `windows` in
user agents: thousands of times too rare by the pairs); for these the count is used.

Only the ranking matters. Keep the logs out of the repository; name them in rarity.rs.
"""
import collections
import math
import os
import sys

SLICES = 16
SLICE = 1 << 20
CAP = 20


def slices(path):
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        if size <= SLICES * SLICE:
            yield f.read()
            return
        step = size // SLICES
        for k in range(SLICES):
            f.seek(k * step)
            yield f.read(SLICE)


COMMON_BITS = 13


def rust_bytes(b):
    return "".join(chr(c) if 0x20 <= c < 0x7F and c not in (0x22, 0x5C) else "\\x%02x" % c for c in b)


def common(paths):
    share = collections.Counter()
    for path in paths:
        counts = collections.Counter()
        total = 0
        for text in slices(path):
            text = text.lower()
            total += max(0, len(text) - 3)
            counts.update(text[i:i + 4] for i in range(len(text) - 3))
        # Each log weighs the same.
        for gram, n in counts.items():
            share[gram] += n / total / len(paths)
    rows = sorted((g, round(-math.log2(v))) for g, v in share.items() if v >= 2.0 ** -COMMON_BITS)
    print("// Made by scripts/rarity-table.py --common; see rarity.rs for the logs it read.")
    print("const COMMON_4: &[(&[u8; 4], u8)] = &[")
    for g, bits in rows:
        print('    (b"%s", %d),' % (rust_bytes(g), bits))
    print("];")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    if sys.argv[1] == "--common":
        return common(sys.argv[2:])
    byte = [0.0] * 256
    pair = [[0.0] * 256 for _ in range(256)]
    seen = [0] * 256
    for path in sys.argv[1:]:
        b = [0] * 256
        p = [[0] * 256 for _ in range(256)]
        total = 0
        for text in slices(path):
            text = text.lower()
            total += len(text)
            for c in text:
                b[c] += 1
            for x, y in zip(text, text[1:]):
                p[x][y] += 1
                seen[x] += 1
        if total == 0:
            continue
        # Each log weighs the same.
        for c in range(256):
            byte[c] += b[c] / total
            for d in range(256):
                pair[c][d] += p[c][d] / total
    total = sum(byte)
    bits = []
    for c in range(128):
        bits.append(min(16, round(-math.log2(byte[c] / total))) if byte[c] else 16)
    print("const BYTE_BITS: [u8; 128] = [")
    for row in range(8):
        print("    " + " ".join("%2d," % v for v in bits[row * 16:row * 16 + 16]))
    print("];")
    print()
    print('const PAIR_BITS: &[u8; 96 * 96] = b"\\')
    rows = []
    for a in range(0x20, 0x80):
        after = sum(pair[a][0x20:0x80])
        line = []
        for c in range(0x20, 0x80):
            if seen[a] < 64:
                v = bits[c]
            elif pair[a][c] == 0:
                v = CAP
            else:
                v = min(CAP, round(-math.log2(pair[a][c] / after)))
            line.append(chr(ord("a") + v))
        rows.append("    " + "".join(line))
    print("\\\n".join(rows) + '";')


if __name__ == "__main__":
    main()
