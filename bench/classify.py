"""Triage throughput on one core: classify + FAQ lookup (`triage`) with the shipped rules and KB."""

import argparse
import json
import statistics
import time
from pathlib import Path

import yaml

from services.router.triage.category_rules import load_rules
from services.router.triage.faq import load_kb
from services.router.triage.triager import triage

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "data" / "triage_corpus.yaml"
TARGET = 5000
"""Messages per second per core the issue asks for."""


def measure(count: int, seconds: float) -> dict:
    """Triage the corpus round robin until `count` messages or `seconds` of CPU; return the figures."""
    rules, kb = load_rules(None), load_kb(None)
    texts = [item["text"] for item in yaml.safe_load(CORPUS.read_text(encoding="utf-8"))]
    for text in texts:  # warm up: first-call costs (regex caches, zoneinfo) are not throughput
        triage(text, rules, kb)
    done, batch, laps = 0, len(texts), []
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    while done < count and time.process_time() - cpu_start < seconds:
        lap = time.process_time()
        for text in texts[: count - done]:
            triage(text, rules, kb)
        laps.append((time.process_time() - lap) / min(batch, count - done))
        done += min(batch, count - done)
    cpu, wall = time.process_time() - cpu_start, time.perf_counter() - wall_start
    per_core = done / cpu
    return {
        "messages": done,
        "distinct": len(texts),
        "mean_chars": round(statistics.mean(map(len, texts)), 1),
        "cpu_s": round(cpu, 3),
        "wall_s": round(wall, 3),
        "msgs_per_s_per_core": round(per_core),
        "mean_us": round(1e6 / per_core, 1),
        "slowest_lap_us": round(max(laps) * 1e6, 1),
        "target_msgs_per_s": TARGET,
        "ratio": round(per_core / TARGET, 2),
    }


def _report(figures: dict) -> None:
    """Print the figures as a few human-readable lines."""
    print(
        f"triage (classify + FAQ lookup), shipped rules and KB, {figures['distinct']} corpus messages"
        f" of {figures['mean_chars']} characters on average, one process"
    )
    print(f"messages {figures['messages']:9d}   in {figures['cpu_s']:6.2f} s CPU ({figures['wall_s']:.2f} s wall)")
    print(
        f"per core {figures['msgs_per_s_per_core']:9d} msg/s   mean {figures['mean_us']:6.1f} us/msg"
        f"   slowest pass {figures['slowest_lap_us']:.1f} us/msg"
    )
    print(f"target   {figures['target_msgs_per_s']:9d} msg/s   ratio {figures['ratio']:.2f}x")


def main():
    """Parse arguments, run the measurement and print it."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=100_000, help="messages to triage at most")
    parser.add_argument("--seconds", type=float, default=15.0, help="CPU time limit (at most 20)")
    parser.add_argument("--json", action="store_true", help="also print all figures as one JSON line")
    args = parser.parse_args()
    figures = measure(max(args.count, 1), min(args.seconds, 20.0))
    _report(figures)
    if args.json:
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
