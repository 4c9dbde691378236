"""docs/benchmarks.md from bench/results.json, with the hand-written notes of bench/notes.md.

.venv/bin/python bench/report.py      # rewrite the report from the stored results

Every figure is given as the median and the minimum of its repeated runs; the targets are
judged on the median. The targets are the issue's, for 100,000 patients; without a
100,000-patient run the table judges the largest run there is, and says so.
"""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTES = ROOT / "bench" / "notes.md"
BACKENDS = (("postgresql", "PostgreSQL"), ("sqlite", "SQLite"))
FULL, SMALL = 100_000, 10_000
PAGES = (
    "worklist, first page",
    "worklist, filtered (needs booking)",
    "worklist, search by name",
    "patient page, 10 years",
)


def _values(run: dict, path: tuple) -> list[float] | None:
    """The repeated values of one figure in a run (None if not measured)."""
    node = run
    try:
        for key in path[:-1]:
            node = node[key]
        last = path[-1]
        if callable(last):
            return last(node)
        found = node[last]
    except (KeyError, TypeError, IndexError, ZeroDivisionError):
        return None
    if isinstance(found, dict) and "all" in found:
        return found["all"] or None
    return found if isinstance(found, list) else [found]


def _page(page: str, clients: int, key: str):
    return ("pages", page, lambda p: [r[key] for r in p[f"clients_{clients}"]])


def _rate(kind: str):
    return ("writes", lambda w: [r["per_second"] for r in w[kind]])


def _share(run: dict) -> list[float] | None:
    writes, trivial = _values(run, _rate("writes_8")), _values(run, _rate("healthz_8"))
    if not writes or not trivial:
        return None
    # Median over median (and, as the "minimum", the worst pairing is not meaningful):
    # one figure from the interleaved rounds.
    return [statistics.median(writes) / statistics.median(trivial)]


def _ratio(run: dict) -> list[float] | None:
    sweeps = run.get("sweeps")
    if not sweeps:
        return None
    return [sweeps["ratio_median"], sweeps["ratio_min"]]


def _memory(run: dict) -> list[float] | None:
    sweeps = run.get("sweeps")
    if not sweeps:
        return None
    # Each repeat's larger peak of its full and its daily run.
    return [
        max(f["peak_rss_mb"], d["peak_rss_mb"])
        for f, d in zip(sweeps["full"], sweeps["daily"], strict=True)
    ]


# (name, how to read the repeated values, unit, limit, "max" or "min", PostgreSQL only)
TARGETS = (
    ("Daily sweep, a day after a full one: wall", ("sweeps", "daily_seconds"), "s", 10, "max"),
    ("Full sweep (`--full`): wall", ("sweeps", "full_seconds"), "s", 30, "max"),
    ("Full sweep / the database's bulk read", _ratio, "x", 3, "max"),
    ("Sweep: peak memory of its processes together", _memory, "MB", 300, "max"),
    ("Worklist first page, p95, 1 client", _page(PAGES[0], 1, "p95_ms"), "ms", 50, "max"),
    ("Worklist first page, p95, 8 clients", _page(PAGES[0], 8, "p95_ms"), "ms", 150, "max"),
    ("Patient page (10 years), p95, 1 client", _page(PAGES[3], 1, "p95_ms"), "ms", 100, "max"),
    ("Writes per second, 8 clients, 2 workers", _rate("writes_8"), "/s", 300, "min"),
    ("Writes / `/healthz` per second, 8 clients", _share, "", 1 / 3, "min"),
)


def _read(run: dict | None, how) -> list[float] | None:
    if run is None:
        return None
    if callable(how):
        return how(run)
    return _values(run, how)


def _n(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    if unit == "":
        return f"{value:.2f}"
    if unit == "x":
        return f"{value:.2f}x"
    if abs(value) >= 100:
        return f"{value:,.0f} {unit}".strip()
    return f"{value:.1f} {unit}".strip()


def _median_min(values: list[float] | None, unit: str, *, ratio: bool = False) -> str:
    if not values:
        return "—"
    if ratio:  # (median / median, min / min)
        return f"{_n(values[0], unit)} (min/min {_n(values[1], unit)})"
    if len(values) == 1:
        return _n(values[0], unit)
    return f"{_n(statistics.median(values), unit)} (min {_n(min(values), unit)})"


def _middle(values: list[float] | None, ratio: bool) -> float | None:
    if not values:
        return None
    return values[0] if ratio else statistics.median(values)


def _verdict(value: float | None, limit: float, sense: str) -> str:
    if value is None:
        return "not measured"
    ok = value <= limit if sense == "max" else value >= limit
    return "yes" if ok else "**no**"


def _growth(small: float | None, big: float | None) -> str:
    if small is None or big is None or not small:
        return "—"
    return f"{big / small:.1f}x"


def _sizes(runs: dict, backend: str) -> list[int]:
    return sorted(int(k.split(":")[1]) for k in runs if k.startswith(backend + ":"))


def _judged_size(runs: dict, backend: str) -> int | None:
    sizes = _sizes(runs, backend)
    return FULL if FULL in sizes else (sizes[-1] if sizes else None)


def _targets(runs: dict, backend: str) -> list[str]:
    size = _judged_size(runs, backend)
    run, small = runs.get(f"{backend}:{size}"), runs.get(f"{backend}:{SMALL}")
    grows = size != SMALL and small is not None
    lines = [
        f"| target | limit | {size:,} patients: median (min) | met | growth from 10,000 |",
        "|---|---|---|---|---|",
    ]
    for name, how, unit, limit, sense in TARGETS:
        if "Writes" in name and backend != "postgresql" and not (run or {}).get("writes"):
            continue
        ratio = how is _ratio
        values = _read(run, how)
        middle = _middle(values, ratio)
        growth = _growth(_middle(_read(small, how), ratio), middle) if grows else "—"
        bound = ("at most " if sense == "max" else "at least ") + (
            "a third" if unit == "" else _n(limit, unit)
        )
        lines.append(
            f"| {name} | {bound} | {_median_min(values, unit, ratio=ratio)} | "
            f"{_verdict(middle, limit, sense)} | {growth} |"
        )
    return lines


FIGURES = (
    ("floor: the database's bulk read of the sweep's rows, wall", ("sweeps", "floor_seconds"), "s"),
    ("rows the floor reads", ("sweeps", "floor_rows"), "#"),
    ("full sweep, wall", ("sweeps", "full_seconds"), "s"),
    ("full sweep, CPU of the tracker and its workers", ("sweeps", "full_cpu_seconds"), "s"),
    ("full sweep, CPU of its PostgreSQL backends", ("sweeps", "full_database_cpu_seconds"), "s"),
    ("full sweep, peak memory (its processes summed)", ("sweeps", "full_peak_rss_mb"), "MB"),
    (
        "courses given in the day between the sweeps",
        ("sweeps", "days", lambda d: [x["given"] for x in d]),
        "#",
    ),
    ("daily sweep, wall", ("sweeps", "daily_seconds"), "s"),
    ("daily sweep, CPU of the tracker and its workers", ("sweeps", "daily_cpu_seconds"), "s"),
    ("daily sweep, CPU of its PostgreSQL backends", ("sweeps", "daily_database_cpu_seconds"), "s"),
    ("daily sweep, peak memory (its processes summed)", ("sweeps", "daily_peak_rss_mb"), "MB"),
    ("first sweep (every state inserted), wall", ("first_sweep", "seconds"), "s"),
    *(
        (f"{page}, p{q}, {n} client{'s' if n > 1 else ''}", _page(page, n, f"p{q}_ms"), "ms")
        for page in PAGES
        for n in (1, 8)
        for q in (50, 95)
    ),
    ("writes per second, 1 client", _rate("writes_1"), "/s"),
    ("`/healthz` per second, 1 client", _rate("healthz_1"), "/s"),
    ("writes per second, 8 clients", _rate("writes_8"), "/s"),
    ("`/healthz` per second, 8 clients", _rate("healthz_8"), "/s"),
    (
        "write latency p95, 8 clients",
        ("writes", lambda w: [r["latency_p95_ms"] for r in w["writes_8"]]),
        "ms",
    ),
    ("cohort load (bulk), wall", ("load_seconds",), "s"),
)


def _cell(values: list[float] | None, unit: str) -> str:
    if not values:
        return "—"
    if unit == "#":
        middle = statistics.median(values)
        return f"{middle:,.0f}" if len(values) == 1 else f"{middle:,.0f} (min {min(values):,.0f})"
    return _median_min(values, unit)


def _figures(runs: dict, backend: str) -> list[str]:
    sizes = _sizes(runs, backend)
    head = " | ".join(f"{s:,} patients" for s in sizes)
    lines = [f"| figure | {head} |", "|---|" + "---|" * len(sizes)]
    for name, how, unit in FIGURES:
        cells = [_cell(_read(runs[f"{backend}:{s}"], how), unit) for s in sizes]
        if all(c == "—" for c in cells):
            continue
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    for s in sizes:
        run = runs[f"{backend}:{s}"]
        verify = run.get("verify") or {}
        if verify:
            checked = verify.get("checked")
            said = (
                f"{checked:,} checked, {verify.get('differing')} differing"
                if checked is not None
                else ("no difference" if verify.get("ok") else "**differences found**")
            )
            lines.append("")
            lines.append(
                f"Stored states against the full evaluation at {s:,} patients "
                f"({verify.get('how')}): {said}."
            )
        sweeps = run.get("sweeps") or {}
        if sweeps and not sweeps.get("incremental", True):
            lines.append("")
            lines.append(
                f'At {s:,} patients `tracker sweep` had no `--full`: the "daily" run swept '
                "every patient too."
            )
    return lines


def _profiles(runs: dict, backend: str, label: str) -> list[str]:
    size = _judged_size(runs, backend)
    run = runs.get(f"{backend}:{size}") or {}
    lines = []
    for which in ("full", "daily"):
        text = run.get(f"profile_{which}")
        if text:
            lines += [
                f"### {label}, {size:,} patients: where the {which} sweep's time goes",
                "",
                "cProfile of `tracker sweep"
                + (" --full" if which == "full" else "")
                + "` run in one process (`TRACKER_SWEEP_PROCESSES=1`, so that the reading "
                "and the evaluation show; the timed sweeps hand them to a worker process per "
                "core), top functions by cumulative time (the main thread: the reader "
                "thread's queries show as the main thread's wait for them).",
                "",
                "```",
                text,
                "```",
                "",
            ]
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
        "| run | date (UTC) | database | rows | load average at the end | minutes "
        "| bare Python loop, start and end |"
    )
    lines.append("|---|---|---|---|---|---|---|")
    for key in sorted(runs, key=lambda k: (int(k.split(":")[1]), k)):
        r = runs[key]
        rows = sum(r.get("rows", {}).values())
        loop = " and ".join(f"{s:.2f} s" for s in r.get("python_loop_seconds", [])) or "-"
        lines.append(
            f"| {r['backend']}, {r['patients']:,} patients | {r['date']} | "
            f"{r.get('version', '')} | {rows:,} | {round(r.get('load_average_end', 0), 1)} | "
            f"{r.get('run_seconds', 0) / 60:.0f} | {loop} |"
        )
    return lines


def render(stored: dict) -> str:
    """The report's Markdown."""
    runs = stored["runs"]
    notes = NOTES.read_text() if NOTES.exists() else ""
    head, _, tail = notes.partition("<!-- figures -->")
    parts = [head.rstrip(), ""]
    profiles: list[str] = []
    for backend, label in BACKENDS:
        size = _judged_size(runs, backend)
        if size is None:
            continue
        note = "" if size == FULL else " (the targets are for 100,000: this is the largest run)"
        parts += [f"## {label}: the targets at {size:,} patients{note}", ""]
        parts += [*_targets(runs, backend), ""]
        parts += [f"### {label}: every figure", "", *_figures(runs, backend), ""]
        profiles += _profiles(runs, backend, label)
    if profiles:
        parts += ["## Profiles where a target is missed", "", *profiles]
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
