"""`featurestore docs`: the dbt docs site built from a real warehouse, served, and looked at in a browser.

The browser test drives headless Chromium through the DevTools protocol (tests/support/chromium.py): it opens
the `profile_features` page, reads the feature catalog off it, clicks the lineage-graph button, expands it to
full screen, and asks the page's cytoscape instance (the canvas the site draws the graph on) which nodes it
drew and where. Expected names come from the project's YAML as a reader sees it, not from the docs code.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from tests.functional.conftest import copy_state
from tests.support.chromium import CHROMIUM, Browser
from tests.support.cli import OutputWatcher, start_cli
from tests.support.dbt import PROJECT_DIR, DbtHarness

# Upstream of the published table: its candidate, the six category marts behind the candidate, and the Gold
# sources far upstream; downstream: the four exposures of models/marts/_marts__exposures.yml.
UPSTREAM_MODELS = {
    "profile_features_candidate",
    "features_watch_behavior",
    "features_content_consumption",
    "features_engagement_quality",
    "features_affinity",
    "features_lifecycle",
    "features_household_share",
    "int_profile_feature_dates",
}
EXPOSURES = {"crm_targeting", "ml_training_sets", "online_store_sync", "bi_feature_health"}
# One catalog row (seeds/reference/feature_catalog.csv) as the docs page must show it.
FEATURE, FEATURE_DEFINITION, FEATURE_WINDOW = "watch_minutes_7d", "Watch minutes in the 7 days ending on D", "7d"

URL_LINE = re.compile(r"Serving the docs at (http://\S+/)")


@dataclass
class ServedSite:
    url: str
    target_dir: Path  # where the site was built
    build_target_dir: Path  # the dbt build's artefacts, which the docs build must leave alone
    process: subprocess.Popen[str]
    output: OutputWatcher  # drains the server's output for as long as it runs, so its pipe never fills

    def stop(self) -> int:
        """Ctrl-C, the way to stop the server. If it is still running 30 s later, SIGABRT makes Python's fault
        handler (PYTHONFAULTHANDLER) print every thread's stack into the output, for the failure message."""
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            status = Path(f"/proc/{self.process.pid}/status").read_text().splitlines()
            signal_state = "\n".join(line for line in status if line.startswith(("SigBlk", "SigIgn", "SigCgt")))
            self.process.send_signal(signal.SIGABRT)
            self.process.wait(timeout=30)
            self.output.finish(timeout=30)
            raise AssertionError(f"the docs server ignored Ctrl-C for 30 s; its signal masks:\n{signal_state}\n"
                                 + self.output.text[-6000:]) from None


@pytest.fixture
def served_site(small_published: DbtHarness, tmp_path: Path) -> Iterator[ServedSite]:
    """`featurestore docs --port 0` over a copy of the shared published build, until the test ends."""
    state = copy_state(small_published, tmp_path / "state")
    process = start_cli(state, "docs", "--port", "0", PYTHONFAULTHANDLER="1")
    output = OutputWatcher(process)
    try:
        # dbt's log lines, then the URL once the site is built and the port bound
        match = URL_LINE.search(output.wait_for(URL_LINE.search))
        assert match is not None
        yield ServedSite(match.group(1), state.root / "target" / "docs", state.root / "target", process, output)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _profile_features_id(manifest: dict) -> str:
    """The unique id of the (latest version of the) profile_features model in dbt's manifest."""
    found = [n for n in manifest["nodes"].values() if n["resource_type"] == "model" and n["name"] == "profile_features"]
    latest = [n for n in found if n.get("version") in (None, n.get("latest_version"))]
    assert len(latest) == 1, [n["unique_id"] for n in found]
    return latest[0]["unique_id"]


# What the page's cytoscape instance (`window.graph`, dbt-docs' graph-viz directive) holds: every element it
# shows, with its on-canvas box, and the canvas size (a node is drawn when its box lies on the canvas).
DRAWN_NODES = """(() => {
  const cy = window.graph;
  if (!cy || cy.nodes().length === 0) return null;
  const width = cy.width(), height = cy.height();
  return {
    width, height,
    nodes: cy.nodes().filter(n => n.visible()).map(n => {
      const b = n.renderedBoundingBox();
      return {id: n.id(), name: n.data('name'), type: n.data('resource_type'),
              x1: b.x1, y1: b.y1, x2: b.x2, y2: b.y2};
    }),
    edges: cy.edges().filter(e => e.visible()).map(e => [e.source().data('name'), e.target().data('name')]),
  };
})()"""


def _reachable(edges: set[tuple[str, str]], start: str, backwards: bool = False) -> set[str]:
    """Names reachable from `start` along the edges (against their direction when `backwards`)."""
    step: dict[str, set[str]] = {}
    for source, target in edges:
        frm, to = (target, source) if backwards else (source, target)
        step.setdefault(frm, set()).add(to)
    seen: set[str] = set()
    frontier = [start]
    while frontier:
        for name in step.get(frontier.pop(), ()):
            if name not in seen:
                seen.add(name)
                frontier.append(name)
    return seen


def _settled_graph(page: Browser) -> dict:
    """The drawn graph once it shows exposures and stops moving (the site fits it to the canvas after layout)."""
    previous = None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        drawn = page.wait_for(
            f"(() => {{ const d = {DRAWN_NODES}; return d && d.nodes.some(n => n.type === 'exposure') ? d : null; }})()",
            what="exposures in the lineage graph",
        )
        if drawn == previous:
            return drawn
        previous = drawn
        time.sleep(0.5)
    raise AssertionError("the lineage graph kept moving for 30 s")


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install -y chromium; `make test` does)")
def test_docs_site_shows_the_catalog_and_the_lineage_of_profile_features(served_site: ServedSite, tmp_path: Path) -> None:
    build_results = json.loads((served_site.build_target_dir / "run_results.json").read_text())
    assert build_results["args"]["which"] == "build", "the last build's results are still those of the build"
    manifest = json.loads((served_site.target_dir / "manifest.json").read_text())
    catalog = json.loads((served_site.target_dir / "catalog.json").read_text())
    model_id = _profile_features_id(manifest)
    assert model_id in catalog["nodes"], "the catalog (column types) was read from the warehouse"

    with Browser(tmp_path / "chromium-profile") as page:
        page.navigate(f"{served_site.url}#!/model/{model_id}")
        # the model page: its title, then the columns table with the catalog rendered from the feature catalog
        page.wait_for("document.body.innerText.includes('profile_features') && "
                      f"document.body.innerText.includes({json.dumps(FEATURE)})", what="the profile_features page")
        text = page.wait_for(f"document.body.innerText.includes({json.dumps(FEATURE_DEFINITION)}) "
                             "&& document.body.innerText", what="the feature's definition on the page")
        assert re.search(rf"window\W+{FEATURE_WINDOW}\b", text), "the feature's window is shown"
        assert "watch_behavior" in text and "0 when no plays" in text  # its category and NULL rule
        assert re.search(r"Computed from Gold\W+viewing_events\.event_ts\W+viewing_events\.watch_seconds", text), \
            "the Gold columns it is computed from are shown"

        # the lineage graph: the launcher button opens the sidebar graph, "View Fullscreen" the whole lineage
        page.click_selector(".launcher-btn a")
        page.wait_for("window.graph && window.graph.nodes().length > 0", what="the sidebar lineage graph")
        page.click_selector("a[data-large]")
        page.wait_for("document.querySelector('.launcher[data-launcher=fullscreen]') !== null",
                      what="the full-screen lineage graph")
        drawn = _settled_graph(page)
        page.call("Input.dispatchMouseEvent", type="mouseMoved", x=1, y=1)  # no tooltip over the graph
        page.screenshot(tmp_path / "docs-lineage.png")

    shown = {node["name"]: node for node in drawn["nodes"]}
    missing = (UPSTREAM_MODELS | EXPOSURES | {"profile_features"}) - set(shown)
    assert not missing, f"not in the lineage graph: {sorted(missing)}; drawn: {sorted(shown)}"
    assert {n["name"] for n in drawn["nodes"] if n["type"] == "exposure"} == EXPOSURES
    assert any(n["type"] == "source" for n in drawn["nodes"]), "the Gold sources are drawn upstream"
    for name in UPSTREAM_MODELS | EXPOSURES:  # on the canvas, not merely in the graph
        node = shown[name]
        assert node["x2"] > 0 and node["y2"] > 0 and node["x1"] < drawn["width"] and node["y1"] < drawn["height"], node
    edges = {tuple(edge) for edge in drawn["edges"]}
    assert ("profile_features_candidate", "profile_features") in edges
    # drawn as lineage, not just as boxes: each upstream model leads to profile_features, which leads to each
    # exposure, along the edges on the canvas
    assert _reachable(edges, "profile_features", backwards=True) >= UPSTREAM_MODELS
    assert _reachable(edges, "profile_features") >= EXPOSURES

    screenshot = tmp_path / "docs-lineage.png"
    assert screenshot.stat().st_size > 20_000
    keep = PROJECT_DIR / "reports" / "docs-lineage.png"
    keep.parent.mkdir(exist_ok=True)
    shutil.copyfile(screenshot, keep)

    assert served_site.stop() == 0, served_site.output.text  # Ctrl-C stops the server: exit 0


def _docs_in_process(harness: DbtHarness, *args: str) -> Result:
    """`featurestore docs ...` in this process (the refusals happen before dbt or a server starts)."""
    from featurestore.cli import app

    return CliRunner().invoke(app, ["docs", *args], env={**harness._env(), "COLUMNS": "240"})


def test_docs_without_a_built_warehouse_is_refused_in_one_line(tmp_path: Path) -> None:
    empty = DbtHarness(tmp_path / "never-built")
    result = _docs_in_process(empty, "--no-serve")
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: No warehouse at"), result.output
    assert str(empty.duckdb_path) in lines[0] and "make run" in lines[0]
    assert isinstance(result.exception, SystemExit)  # the exit code, not an exception with a traceback
    assert not empty.duckdb_path.exists(), "refusing must not create an empty warehouse"


def test_docs_on_a_taken_port_is_refused_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _docs_in_process(DbtHarness(tmp_path / "never-built"), "--port", str(port))
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), result.output
    assert f"127.0.0.1:{port}" in lines[0] and "in use" in lines[0] and "--port" in lines[0]
    assert isinstance(result.exception, SystemExit)


# A server process that serves an empty folder with docs_site.serve_forever and announces its port; `inherited`
# is what its parent leaves the signals as (a child inherits ignored dispositions and the blocked mask).
SERVER_SCRIPT = """
from http.server import ThreadingHTTPServer, SimpleHTTPRequestHandler
from featurestore.docs_site import serve_forever
server = ThreadingHTTPServer(("127.0.0.1", 0), SimpleHTTPRequestHandler)
serve_forever(server, lambda: print(server.server_address[1], flush=True))
print("stopped", flush=True)
"""


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _block_stop_signals() -> None:
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})


@pytest.mark.parametrize("inherited", [None, _ignore_sigint, _block_stop_signals], ids=["default", "ignored", "blocked"])
@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_the_server_stops_on_ctrl_c_and_sigterm_whatever_its_parent_left_them(inherited, stop_signal, tmp_path: Path) -> None:
    process = subprocess.Popen([sys.executable, "-c", SERVER_SCRIPT], cwd=tmp_path, stdout=subprocess.PIPE,
                               text=True, preexec_fn=inherited)  # noqa: PLW1509 - the test process is single-threaded here
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())
        with socket.create_connection(("127.0.0.1", port), timeout=10):
            pass  # serving
        process.send_signal(stop_signal)
        assert process.wait(timeout=30) == 0
        assert process.stdout.read().strip() == "stopped"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
