"""`featurestore bench`: the end-to-end benchmark of one or more data sizes, in one command.

For each size (profiles x days) a fresh work folder gets its own Gold data, warehouse, dbt target/log folders
and redis-server; every step runs as a child process whose wall time and peak RSS (``os.wait4``) are recorded:

    generate -> scan floor -> full dbt build -> write floor -> initial sync -> append day -> daily dbt build
    -> Redis sync of the day

plus, with ``--flat-cost``, the flat-cost experiment (same activity plus 10x dormant profiles). Results merge
into ``bench.json`` / ``bench.md`` / ``bench.png`` in the output folder. See docs/benchmarks.md.

Modules: `measure` (child processes, rusage, machine facts), `worker` (the child side of the Python steps),
`floors` (the scan and write floor SQL), `steps` (one size, step by step), `flat_cost`, `report` (JSON merge,
Markdown, chart) and `command` (the typer command).
"""
