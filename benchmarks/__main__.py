"""``python -m benchmarks [--only AREA] [--quick] [--json FILE]``: run and print ratios."""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from benchmarks._harness import Result, run_case


def _modules(only: list[str] | None) -> list[str]:
    here = Path(__file__).parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if m.name.startswith("bench_"))
    if only:
        names = [n for n in names if n.removeprefix("bench_") in only]
    return names


def main(argv: list[str] | None = None) -> int:
    """Run the selected benchmark modules and print one table per area."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks")
    parser.add_argument("--only", action="append", help="area to run (repeatable), e.g. book")
    parser.add_argument("--quick", action="store_true", help="smaller workloads")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    console = Console()
    results: list[Result] = []
    extra_rows: list[dict] = []
    for name in _modules(args.only):
        module = importlib.import_module(f"benchmarks.{name}")
        cases = module.cases(args.quick)
        table = Table(
            title=f"{name.removeprefix('bench_')}: ns per op (best of N), ratio = peer/tickbook"
        )
        peers = sorted({lib for c in cases for lib in c.runners} - {"tickbook"})
        table.add_column("workload")
        table.add_column("tickbook", justify="right")
        for peer in peers:
            table.add_column(peer, justify="right")
            table.add_column(f"x vs {peer}", justify="right")
        table.add_column("target")
        for case in cases:
            console.print(f"[dim]running {case.area}/{case.name} ...[/dim]")
            result = run_case(case)
            results.append(result)
            row = [case.name, f"{result.ns_per_op.get('tickbook', float('nan')):,.0f}"]
            for peer in peers:
                t = result.ns_per_op.get(peer)
                r = result.ratio(peer)
                row += ["-" if t is None else f"{t:,.0f}", "-" if r is None else f"{r:.2f}x"]
            table.add_row(*row, case.target)
        console.print(table)
        warm = {
            r.case.name: round(r.warmup_s.get("tickbook", 0.0), 3)
            for r in results
            if r.case.area == cases[0].area
        }
        console.print(f"[dim]tickbook warm-up run (first call, incl. cache load), s: {warm}[/dim]")
        extras = getattr(module, "extras", None)
        if extras is not None:
            console.print(f"[dim]running {name} extras ...[/dim]")
            rows = extras(args.quick)
            extra_table = Table(title=f"{name.removeprefix('bench_')}: memory and start-up")
            for column in ("metric", "tickbook", "nanobook", "target"):
                extra_table.add_column(column)
            for row in rows:
                extra_table.add_row(
                    *(str(row.get(c, "")) for c in ("metric", "tickbook", "nanobook", "target"))
                )
            console.print(extra_table)
            extra_rows.extend(rows)
    if args.json:
        payload = [
            {
                "area": r.case.area,
                "name": r.case.name,
                "unit": r.case.unit,
                "ops": r.case.ops,
                "ns_per_op": r.ns_per_op,
                "warmup_s": r.warmup_s,
                "target": r.case.target,
            }
            for r in results
        ]
        args.json.write_text(json.dumps({"cases": payload, "extras": extra_rows}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
