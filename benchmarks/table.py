"""Print every figure in results.json as one table (what `make bench` ends with)."""

from __future__ import annotations

import json
import sys

from record import RESULTS, show, verdict


def main() -> int:
    results = json.loads(RESULTS.read_text())
    # One line per machine the figures were measured on (older results name only the CPU).
    machines = {
        json.dumps(m if isinstance(m := r["machine"], dict) else {"cpu": m}, sort_keys=True)
        for r in results.values()
    }
    for text in sorted(machines):
        print("machine:", ", ".join(f"{k} {v}" for k, v in json.loads(text).items() if v))
    missed = []
    for name, result in results.items():
        show(name, result["rows"])
        missed += [f"{name}: {r['metric']}" for r in result["rows"] if "GOAL" in verdict(r)]
    print("\ngoals missed:", "; ".join(missed) if missed else "none")
    return 0


if __name__ == "__main__":
    sys.exit(main())
