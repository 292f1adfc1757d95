"""Offline gazetteer figures: data file size, load time, memory and per-lookup time.

    python bench/gazetteer.py [--lookups 10000]

Load is measured in a fresh interpreter (numpy and anyascii already imported, as they are in the
server), memory both as tracemalloc's peak and as the RSS growth. Lookups cycle through a mixed
list of cities, qualified names, regions, countries, postcodes and unknown text.
Targets (issue): file under ~8 MB, load well under 1 s, under 1 ms per lookup.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time
import tracemalloc

import numpy as np  # noqa: F401  (imported before measuring, as in the running server)

from rendezvous.geo.gazetteer import DATA_FILE, Gazetteer, normalise

QUERIES = [
    "Munich", "München", "  munich , germany ", "Zurich", "Kraków", "São Paulo", "Lisboa",
    "Leeds, UK", "Leeds, England", "Portland, OR", "Portland, ME", "London, ON", "Perth, WA",
    "Paris, TX", "Cambridge, MA", "Portland, OR, USA", "Bavaria", "Île-de-France", "Texas",
    "Germany", "Deutschland", "UK", "USA", "Paris", "London", "Birmingham", "10001", "90210",
    "LS1 4AP", "EH1", "M5V", "2000", "Narnia", "asdfgh", "", ",,,", "東京", "Shoreditch, London",
    "Portland OR", "Saint Albans",
]  # fmt: skip


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lookups", type=int, default=10_000)
    args = parser.parse_args()

    print(f"data file        {DATA_FILE.stat().st_size / 1e6:.2f} MB ({DATA_FILE.name})")
    rss_before = rss_mb()
    tracemalloc.start()
    started = time.perf_counter()
    gazetteer = Gazetteer.load()
    load_ms = (time.perf_counter() - started) * 1000
    _, peak = tracemalloc.get_traced_memory()
    held, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"load             {load_ms:.0f} ms")
    print(f"memory           {held / 1e6:.1f} MB held, {peak / 1e6:.1f} MB peak (tracemalloc)")
    print(f"RSS growth       {rss_mb() - rss_before:.1f} MB (max RSS {rss_mb():.0f} MB)")

    timings = []
    for i in range(args.lookups):
        query = QUERIES[i % len(QUERIES)]
        started = time.perf_counter()
        gazetteer.search(query)
        timings.append((time.perf_counter() - started) * 1e6)
    timings.sort()
    p99 = timings[int(len(timings) * 0.99)]
    print(
        f"search           {statistics.mean(timings):.0f} µs mean, "
        f"{statistics.median(timings):.0f} µs median, {p99:.0f} µs p99, "
        f"{timings[-1]:.0f} µs max over {args.lookups} lookups"
    )
    started = time.perf_counter()
    for i in range(args.lookups):
        normalise(QUERIES[i % len(QUERIES)])
    print(f"normalise        {(time.perf_counter() - started) * 1e6 / args.lookups:.1f} µs mean")
    for threshold in (5_000, 50_000):
        started = time.perf_counter()
        towns = gazetteer.towns(threshold)
        took = (time.perf_counter() - started) * 1000
        print(f"towns({threshold:>6})    {len(towns.names)} towns, first call {took:.0f} ms")


if __name__ == "__main__":
    main()
