#!/usr/bin/env python3
"""Rebuild the minimized fuzz regression inputs in tests/WeightPort.Tests/Fuzz/Regressions.

    python3 tools/make_fuzz_regressions.py            # (re)write the files below and check them
    python3 tools/make_fuzz_regressions.py --check    # only check: the committed files equal a fresh build

The fuzz harness found the flattener bugs these files pin (commit d8454e0) with inputs of 10 to 86 KB: mutated
legacy checkpoints whose object pickle nests dicts under a 2,000-character memoized key 4,096 deep, or tuples
10,000 deep; most of their bytes were storages and padding that played no part. Each file here is the smallest
input with the same mechanism at a size that still broke the old code, assembled from raw opcodes (nothing is
unpickled, stdlib only, deterministic):

  flattener-nested-dicts-long-key.pt    legacy stack; the object nests dicts under one memoized 2,000-char key,
                                        MARK/EMPTY_DICT/SETITEMS per level (as the fuzzer's input did), 600 deep
  flattener-nested-dicts-long-key-2.pt  the same with EMPTY_DICT/SETITEM per level (no MARK), 600 deep
  flattener-nested-marks.pt             legacy stack; the object is a tuple nested 10,112 deep with MARK/TUPLE
  flattener-deep-tuple-key.pkl          a plain pickle: a dict whose key is a tuple nested 9,990 deep (TUPLE1)

The old flattener built every path prefix as a string: Σ depth × (key length + 1) characters, quadratic in depth.
For the long-key files that is 600² × 2,001 / 2 ≈ 360 million characters (720 MB of UTF-16), above the harness's
512 MiB allocation ceiling per input, as the originals were (16.8 billion characters); for the nested marks it is
the original's depth, so the original's cost. The old KeyText recursed once per tuple level, so the deep key keeps
the original's 9,990 levels (a stack overflow, a process crash, on the harness's 1.5 MiB reader threads). Today all
four end in LimitExceeded from the guards added then (path length 4,096, key nesting 64), which
FuzzRegressionTests checks. flattener-exponential-sharing.pkl (558 bytes) and the scanner-* inputs were already small
and are not rebuilt here.
"""
import argparse
import pickletools
import struct
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "tests" / "WeightPort.Tests" / "Fuzz" / "Regressions"
MAGIC = 0x1950A86A20F9469CFC6C
CEILING_CHARS = (512 << 20) // 2   # the harness's per-input allocation ceiling, in UTF-16 characters


def long1(v):
    n = (v.bit_length() >> 3) + 1
    return b"\x8a" + bytes([n]) + v.to_bytes(n, "little", signed=True)


def unicode(s):
    e = s.encode()
    return b"X" + struct.pack("<I", len(e)) + e


def legacy(object_pickle):
    """Magic number, protocol 1001, sys_info, the object, an empty storage key list and no storages: the smallest
    legacy stack that reaches the flattener."""
    magic = b"\x80\x02" + long1(MAGIC) + b"."
    protocol = b"\x80\x02M\xe9\x03."
    sys_info = (b"\x80\x02}(" + unicode("protocol_version") + b"M\xe9\x03" + unicode("little_endian") + b"\x88"
                + unicode("type_sizes") + b"}(" + unicode("short") + b"K\x02" + unicode("int") + b"K\x04"
                + unicode("long") + b"K\x08uu.")
    keys = b"\x80\x02]."
    return magic + protocol + sys_info + object_pickle + keys


def nested_dicts(depth, key_length, marks):
    key = b"h\x00"                                          # BINGET 0: the memoized long key
    out = bytearray(b"\x80\x02}q\x01(" + unicode("1"))     # {'1': ...
    out += b"}" + unicode("k" * key_length) + b"q\x00" + b"0"   # memoize the key, pop it
    # each level: key, then a new dict to hold the rest; closed from the inside out
    for _ in range(depth):
        out += (b"(" + key + b"}") if marks else (key + b"}")
    for _ in range(depth):
        out += b"u" if marks else b"s"                      # SETITEMS to the MARK / SETITEM: dict[key] = inner
    out += b"u."                                            # the root's SETITEMS, STOP
    return bytes(out)


def nested_tuples(depth):
    out = bytearray(b"\x80\x02}(" + unicode("1"))
    out += b"(" * depth + b")" + b"t" * depth              # MARK … EMPTY_TUPLE, TUPLE … : ((((),),),)
    out += b"u."
    return bytes(out)


def deep_tuple_key(depth):
    return b"\x80\x02}" + unicode("key") + b"\x85" * depth + b"K\x00s."


def old_path_chars(depth, key_length):
    """What the old flattener allocated building path prefixes: '1' then '1.key', '1.key.key' …"""
    return sum(1 + d * (key_length + 1) for d in range(1, depth + 1))


def build():
    files = {
        "flattener-nested-dicts-long-key.pt": legacy(nested_dicts(600, 2000, marks=True)),
        "flattener-nested-dicts-long-key-2.pt": legacy(nested_dicts(600, 2000, marks=False)),
        "flattener-nested-marks.pt": legacy(nested_tuples(10112)),
        "flattener-deep-tuple-key.pkl": deep_tuple_key(9990),
    }
    # Every pickle part must disassemble cleanly (stack, marks, memo), and the sizes must still break the old code.
    for name, data in files.items():
        pos = 0
        while pos < len(data):
            ops = list(pickletools.genops(data[pos:]))
            pos += ops[-1][2] + 1
    assert old_path_chars(600, 2000) > CEILING_CHARS
    return files


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    files = build()
    if build() != files:
        raise SystemExit("the build is not deterministic")
    if args.check:
        bad = [n for n, d in files.items() if not (OUT / n).exists() or (OUT / n).read_bytes() != d]
        if bad:
            raise SystemExit(f"differs from a fresh build: {', '.join(bad)}")
        print(f"{len(files)} files match a fresh build")
        return
    for name, data in files.items():
        (OUT / name).write_bytes(data)
        print(f"{name:40s} {len(data):7,d} bytes")


if __name__ == "__main__":
    sys.exit(main())
