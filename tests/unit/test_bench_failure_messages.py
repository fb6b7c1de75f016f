"""How the benchmark words a dbt build that did not finish: where it stopped, read from dbt's console output."""

from __future__ import annotations

from pathlib import Path

from featurestore.bench.steps import _progress_in_output, _signal_name

# An excerpt of a real `dbt build` console log, cut where the process was stopped (SIGTERM) mid-model.
STOPPED_BUILD = """\
14:05:09  95 of 265 START test not_null_int_profile_feature_dates_feature_date ........... [RUN]
14:05:09  95 of 265 PASS not_null_int_profile_feature_dates_feature_date ................. [PASS in 0.12s]
14:05:09  97 of 265 START python incremental model main_marts.features_affinity .......... [RUN]
14:20:00  97 of 265 OK created python incremental model main_marts.features_affinity ..... [OK in 890.53s]
14:20:00  98 of 265 START sql incremental model main_marts.features_content_consumption .. [RUN]
14:57:02  98 of 265 OK created sql incremental model main_marts.features_content_consumption  [OK in 2221.59s]
14:57:02  99 of 265 START python incremental model main_marts.features_household_share ... [RUN]
"""


def test_a_stopped_build_names_the_last_node_it_finished(tmp_path: Path) -> None:
    log = tmp_path / "full_build.log"
    log.write_text(STOPPED_BUILD)
    assert _progress_in_output(log) == "after 98 of 265 nodes"


def test_a_build_stopped_before_any_node_says_so(tmp_path: Path) -> None:
    log = tmp_path / "full_build.log"
    log.write_text("14:05:09  Running with dbt=1.11.2\n14:05:10  1 of 265 START seed file main_reference.x [RUN]\n")
    assert _progress_in_output(log) == "before it finished a node"
    assert _progress_in_output(tmp_path / "missing.log") == "before it finished a node"


def test_signals_are_named() -> None:
    assert (_signal_name(15), _signal_name(9)) == ("SIGTERM", "SIGKILL")
    assert _signal_name(200) == "signal 200"
