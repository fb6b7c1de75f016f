"""`featurestore report`: one self-contained HTML page to judge the health of a feature store run.

- `data`: loads the warehouse tables and dbt's run_results.json into dataclasses;
- `charts`: inline SVG charts of each feature (history and latest-day distribution);
- `render`: the page itself (`build_report`, `render_html`);
- `command`: the CLI face, `report_command`.
"""

from featurestore.report.data import ReportData, ReportInputError, load_report_data
from featurestore.report.render import build_report, render_html

__all__ = ["ReportData", "ReportInputError", "build_report", "load_report_data", "render_html"]
