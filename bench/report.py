"""docs/benchmarks.md from bench/results.json, with the hand-written notes of bench/notes.md.

.venv/bin/python bench/report.py      # rewrite the report from the stored results
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTES = ROOT / "bench" / "notes.md"
BACKENDS = (("postgresql", "PostgreSQL"), ("sqlite", "SQLite"))
FULL, SMALL = 100_000, 10_000

# (name, how to read it from a run, unit, limit, "max" or "min", which database)
TARGETS = (
    ("Sweep over 100,000 patients: wall time", lambda r: r["sweep"]["seconds"], "s", 30, "max"),
    ("Sweep: times the raw read of its rows", lambda r: _ratio(r), "x", 3, "max"),
    ("Sweep: peak memory of the process", lambda r: r["sweep"]["peak_rss_mb"], "MB", 300, "max"),
    (
        "Worklist first page, p95 (round trip)",
        lambda r: r["pages"]["worklist, first page"]["trip_p95_ms"],
        "ms",
        50,
        "max",
    ),
    (
        "Patient page with 10 years of history, p95 (round trip)",
        lambda r: r["pages"]["patient page, 10 years"]["trip_p95_ms"],
        "ms",
        100,
        "max",
    ),
    (
        "Writes per second, 2 workers, PostgreSQL",
        lambda r: r["writes"]["writes"]["per_second"],
        "/s",
        300,
        "min",
    ),
    (
        "Writes: share of the trivial endpoint's rate",
        lambda r: r["writes"]["ratio"],
        "",
        1 / 3,
        "min",
    ),
)


def _ratio(run: dict) -> float:
    return run["sweep"]["seconds"] / run["raw_rows"]["seconds"]


def _n(value: float, unit: str = "") -> str:
    if unit == "":
        return f"{value:.2f}"
    if unit == "x":
        return f"{value:.2f}x"
    if abs(value) >= 100:
        return f"{value:,.0f} {unit}".strip()
    return f"{value:.1f} {unit}".strip()


def _get(run: dict | None, read) -> float | None:
    if run is None:
        return None
    try:
        return read(run)
    except (KeyError, TypeError, ZeroDivisionError):
        return None


def _verdict(value: float | None, limit: float, sense: str, unit: str) -> str:
    if value is None:
        return "not measured"
    ok = value <= limit if sense == "max" else value >= limit
    if ok:
        return "met"
    off = value - limit if sense == "max" else limit - value
    return f"**missed** by {_n(off, unit)} ({off / limit:.0%})"


def _targets(runs: dict) -> list[str]:
    lines = ["| target | limit | PostgreSQL | SQLite |", "|---|---|---|---|"]
    for name, read, unit, limit, sense in TARGETS:
        cells = []
        for backend, _label in BACKENDS:
            run = runs.get(f"{backend}:{FULL}")
            value = _get(run, read)
            cells.append(
                "—"
                if value is None
                else f"{_n(value, unit)}: {_verdict(value, limit, sense, unit)}"
            )
        bound = ("at most " if sense == "max" else "at least ") + (
            "a third" if unit == "" else _n(limit, unit)
        )
        lines.append(f"| {name} | {bound} | {cells[0]} | {cells[1]} |")
    return lines


FIGURES = (
    ("sweep, wall", lambda r: r["sweep"]["seconds"], "s"),
    ("sweep, CPU of the Python process", lambda r: r["sweep"]["cpu_seconds"], "s"),
    ("sweep, CPU of the PostgreSQL backend", lambda r: r["sweep"]["database_cpu_seconds"], "s"),
    ("sweep, peak memory of the process", lambda r: r["sweep"]["peak_rss_mb"], "MB"),
    ("raw read of the sweep's rows, wall", lambda r: r["raw_rows"]["seconds"], "s"),
    ("rows in that raw read", lambda r: r["raw_rows"]["rows"], ""),
    ("sweep / raw read", _ratio, "x"),
    ("the sweep's own packed read alone, wall", lambda r: r["packed_read"]["seconds"], "s"),
    ("first sweep (every state inserted), wall", lambda r: r["first_sweep"]["seconds"], "s"),
    (
        "stored states checked against the full evaluation / differing",
        lambda r: (r["verify"]["patients"], r["verify"]["rows"]),
        "#",
    ),
    ("worklist first page, p50 / p95", lambda r: _pair(r, "worklist, first page"), "ms"),
    (
        "worklist filtered (needs booking), p50 / p95",
        lambda r: _pair(r, "worklist, filtered (needs booking)"),
        "ms",
    ),
    ("worklist search by name, p50 / p95", lambda r: _pair(r, "worklist, search by name"), "ms"),
    ("patient page (10 years), p50 / p95", lambda r: _pair(r, "patient page, 10 years"), "ms"),
    ("writes per second (8 clients)", lambda r: r["writes"]["writes"]["per_second"], "/s"),
    ("GET /healthz per second (8 clients)", lambda r: r["writes"]["trivial"]["per_second"], "/s"),
    ("writes / trivial", lambda r: r["writes"]["ratio"], ""),
    (
        "write latency p50 / p95",
        lambda r: (
            r["writes"]["writes"]["latency_p50_ms"],
            r["writes"]["writes"]["latency_p95_ms"],
        ),
        "ms",
    ),
    ("cohort load (bulk), wall", lambda r: r["load_seconds"], "s"),
)


def _pair(run: dict, page: str) -> tuple[float, float]:
    t = run["pages"][page]
    return (t["trip_p50_ms"], t["trip_p95_ms"])


def _cell(value, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "#":
        return " / ".join(f"{v:,}" for v in value)
    if isinstance(value, tuple):
        return " / ".join(_n(v, "") if unit == "" else f"{v:.1f}" for v in value) + f" {unit}"
    if unit == "" and isinstance(value, int):
        return f"{value:,}"
    return _n(value, unit)


def _growth(small, big) -> str:
    if small is None or big is None or (isinstance(small, tuple) and not small[-1]):
        return "—"
    if isinstance(small, tuple):
        small, big = small[-1], big[-1]
    return f"{big / small:.1f}x" if small else "—"


def _figures(runs: dict, backend: str) -> list[str]:
    small, full = runs.get(f"{backend}:{SMALL}"), runs.get(f"{backend}:{FULL}")
    lines = ["| figure | 10,000 patients | 100,000 patients | growth |", "|---|---|---|---|"]
    for name, read, unit in FIGURES:
        a, b = _get(small, read), _get(full, read)
        if a is None and b is None:
            continue
        lines.append(f"| {name} | {_cell(a, unit)} | {_cell(b, unit)} | {_growth(a, b)} |")
    return lines


def _context(runs: dict) -> list[str]:
    lines = []
    any_run = next(iter(runs.values()), None)
    if any_run:
        m = any_run["machine"]
        lines.append(
            f"Machine: {m['cpus']} cores ({m['cpu']}), {m['memory_gb']} GB RAM; "
            f"Python {m['python']}; commit {m['commit']}."
        )
    lines.append("")
    lines.append(
        "| run | date (UTC) | database | rows | load average during the sweep / at the end |"
    )
    lines.append("|---|---|---|---|---|")
    for key in sorted(runs, key=lambda k: (int(k.split(":")[1]), k)):
        r = runs[key]
        rows = sum(r.get("rows", {}).values())
        sweep_load = r.get("sweep", {}).get("load_average")
        lines.append(
            f"| {r['backend']}, {r['patients']:,} patients | {r['date']} | "
            f"{r.get('version', '')} | {rows:,} | "
            f"{sweep_load if sweep_load is None else round(sweep_load, 1)} / "
            f"{round(r.get('load_average_end', 0), 1)} |"
        )
    return lines


def render(stored: dict) -> str:
    """The report's Markdown."""
    runs = stored["runs"]
    notes = NOTES.read_text() if NOTES.exists() else ""
    head, _, tail = notes.partition("<!-- figures -->")
    parts = [head.rstrip(), "", "## Targets (100,000 patients)", "", *_targets(runs), ""]
    for backend, label in BACKENDS:
        if any(key.startswith(backend + ":") for key in runs):
            parts += [
                f"## {label}: every figure, and how it grows from 10,000 to 100,000",
                "",
                *_figures(runs, backend),
                "",
            ]
    parts += ["## The runs", "", *_context(runs), "", tail.strip(), ""]
    return "\n".join(parts)


def main() -> None:
    """Rewrite docs/benchmarks.md from bench/results.json."""
    results = ROOT / "bench" / "results.json"
    if not results.exists():
        sys.exit("no bench/results.json yet: run `make bench` first")
    (ROOT / "docs" / "benchmarks.md").write_text(render(json.loads(results.read_text())))


if __name__ == "__main__":
    main()
