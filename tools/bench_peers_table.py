#!/usr/bin/python3
"""Summarise a tools/bench_peers.sh log: one markdown table, every engine's median over the rounds, its ratio to
WeightPort and the fraction of the machine's limits, then WeightPort against the best peer and the spread.

    bench_peers_table.py artifacts/bench_peers/LOG

Work per token at the WT103 shape: 2·(Σ_l 4·h_l·(in_l + h_l) + vocab·emb) = 88.5 MFLOP (the decoder 48 of them).
A single token reads every weight once: 177.3 MB in float32, half that in float16. The fractions use the best FMA
and read-bandwidth figures the run measured (before and after the engines).
"""
import re
import statistics
import sys

VOCAB, EMB = 60000, 400
LAYERS = [(400, 1152), (1152, 1152), (1152, 400)]  # (input, hidden)
MACS = sum(4 * h * (i + h) for i, h in LAYERS) + VOCAB * EMB
FLOP_PER_TOKEN = 2 * MACS
WEIGHTS = MACS + sum(8 * h for _, h in LAYERS) + VOCAB  # every matrix element, the biases, the decoder bias
HALF_ENGINES = {"weightport"}  # engines whose weights are float16 in this run (the log's description says so)
NAMES = {"weightport-baseline": "WeightPort before", "weightport": "WeightPort", "weightport-fp32": "WeightPort fp32", "onnxruntime": "ONNX Runtime 1.32",
         "torchsharp": "TorchSharp 0.107 (libtorch 2.10)", "pytorch": "PyTorch 1.13 + OpenBLAS"}
CASES = [("64x70", "64×70, tokens/s"), ("16x70", "16×70, tokens/s"), ("1x1", "single token, ms")]


def main():
    lines = open(sys.argv[1]).read().splitlines()
    fma, bw, checks, results, notes = [], [], {}, {}, []
    half = set()
    for line in lines:
        kv = dict(re.findall(r"(\w+)=([^\s]+)", line))
        if line.startswith("machine "):
            fma.append(float(kv["fma_gflops"]))
            bw.append(float(kv["read_gbps"]))
        elif line.startswith("check "):
            checks[kv["engine"]] = float(kv["max_abs"])
        elif line.startswith("result "):
            results.setdefault((kv["engine"], kv["case"]), []).append(kv)
        elif line.startswith("uptime_"):
            notes.append(line)
        elif line.startswith("# WeightPort") and "weights float16" in line:
            half.add("weightport")
    engines = [e for e in NAMES if any(k[0] == e for k in results)]
    peak, read = max(fma), max(bw)
    print(f"\nmachine: FMA peak {peak:.0f} GFLOP/s, read bandwidth {read:.1f} GB/s "
          f"(measured {', '.join(f'{f:.0f}' for f in fma)} GFLOP/s and {', '.join(f'{b:.1f}' for b in bw)} GB/s)")
    for n in notes:
        print(n.replace("uptime_", "load ").split(",  load average")[0] + ", load average" + n.split("load average")[-1])
    print("correctness (max |Δ logits| against PyTorch's reference): " + ", ".join(f"{NAMES.get(e, e)} {v:.1e}" for e, v in checks.items()))
    bad = [e for e, v in checks.items() if v > 1e-5]
    if bad:
        print("FAILED correctness: " + ", ".join(bad))

    def med(engine, case, key):
        rows = results.get((engine, case))
        if not rows:
            return None
        vals = [float(r[key]) for r in rows]
        if best_round:
            return min(vals) if key in ("ms_per_token", "load_ms", "peak_rss_mib") else max(vals)
        return statistics.median(vals)

    def spread(engine, case, key):
        rows = results.get((engine, case))
        vals = [float(r[key]) for r in rows] if rows else []
        return (min(vals), max(vals)) if vals else None

    best_round = False
    for best_round in (False, True):
        print("\n" + ("best round of each engine (the best call's figures are in the log):" if best_round
                      else "median over the rounds:"))
        print("\n| case | " + " | ".join(NAMES[e] for e in engines) + " |")
        print("|---|" + "---|" * len(engines))
        base = "weightport" if "weightport" in engines else engines[0]
        for case, label in CASES:
            cells = []
            single = case == "1x1"
            key = "ms_per_token" if single else "tok_per_s"
            ref = med(base, case, key)
            for e in engines:
                v = med(e, case, key)
                if v is None:
                    cells.append("–")
                    continue
                ratio = v / ref
                if single:
                    nbytes = WEIGHTS * (2 if e in half else 4)
                    frac = nbytes / (v / 1000) / 1e9 / read
                    cells.append(f"{v:.2f} ({ratio:.2f}×, {frac:.0%} of read bw{' at fp16 size' if e in half else ''})")
                else:
                    frac = v * FLOP_PER_TOKEN / 1e9 / peak
                    cells.append(f"{v:,.0f} ({ratio:.2f}×, {frac:.0%} of FMA peak)")
            print(f"| {label} | " + " | ".join(cells) + " |")
        for key, label, fmt in (("load_ms", "model file → ready, ms (median of all runs)", "{:,.0f}"),
                                ("peak_rss_mib", "peak RSS, single token, MiB", "{:,.0f}")):
            cells = []
            for e in engines:
                if key == "load_ms":
                    vals = [float(r[key]) for (en, _), rows in results.items() if en == e for r in rows]
                    v = statistics.median(vals) if vals else None
                    bv = statistics.median(float(r[key]) for (en, _), rows in results.items() if en == base for r in rows)
                else:
                    v, bv = med(e, "1x1", key), med(base, "1x1", key)
                cells.append("–" if v is None else fmt.format(v) + f" ({v / bv:.2f}×)")
            print(f"| {label} | " + " | ".join(cells) + " |")

    best_round = False
    print("\nWeightPort against the best peer (peers: onnxruntime, torchsharp, pytorch):")
    peers = [e for e in engines if not e.startswith("weightport")]
    for w in [e for e in engines if e.startswith("weightport")]:
        for case, label in CASES:
            single = case == "1x1"
            key = "ms_per_token" if single else "tok_per_s"
            vals = {p: med(p, case, key) for p in peers if med(p, case, key) is not None}
            if not vals or med(w, case, key) is None:
                continue
            best = min(vals, key=vals.get) if single else max(vals, key=vals.get)
            mine = med(w, case, key)
            ratio = (vals[best] / mine)
            what = "speed-up (peer latency / ours)" if single else "throughput ratio (ours / peer)"
            if not single:
                ratio = mine / vals[best]
            print(f"  {NAMES[w]:<16} {label:<18} best peer {NAMES[best]}: {what} {ratio:.2f}×")
    print("\nspread over the rounds (min–max):")
    for (e, case), rows in sorted(results.items()):
        key = "ms_per_token" if case == "1x1" else "tok_per_s"
        lo, hi = spread(e, case, key)
        print(f"  {e:<16} {case:<6} {key} {lo:,.2f}–{hi:,.2f} over {len(rows)} rounds")


if __name__ == "__main__":
    main()
