"""The analyze step: summary and report from the verdicts, shown in the KFP UI."""

from kfp import dsl
from kfp.dsl import HTML, Dataset, Input, Markdown, Metrics, Output

from procsft_kfp.components.images import BASE_IMAGE
from procsft_kfp.components.restore import restore
from procsft_kfp.components.study_run import study_run


@dsl.component(
    base_image=BASE_IMAGE, install_kfp_package=False, additional_funcs=[study_run, restore]
)
def analyze(
    config_yaml: str,
    run_root: str,
    run_id: str,
    verdicts: Input[Dataset],
    agreement: Output[Dataset],
    summary: Output[Dataset],
    report: Output[HTML],
    episodes_page: Output[HTML],
    report_md: Output[Markdown],
    metrics: Output[Metrics],
    episodes: Input[Dataset] = None,
):
    """Write `agreement.json`, `summary.json` and the report, copy them out, and log every pass
    rate, Δ and lift as a metric (`pass_rate/<configuration>/<condition>/<scorer>`, `delta/…`,
    `lift/…`). Verdicts that judge errors left undecided then fail the step, after its outputs,
    as they end `procsft run` with exit 4: the run is not published on fewer verdicts.

    The verdicts and episodes are read from the run folder, restored from `verdicts` and
    `episodes` (the judge step's outputs) when the volume lacks them.
    """
    import html
    import shutil
    from pathlib import Path

    from rich.console import Console

    from procsft import stages
    from procsft.judge.stage import check_decided
    from procsft.schema import Verdict, read_rows

    config, run = study_run(config_yaml, run_root, run_id)
    for rows in (verdicts, episodes):
        if rows is not None:
            restore(rows, run.root)
    stages.analyze_stage(config, run, Console())
    shutil.copyfile(run.agreement, agreement.path)
    shutil.copyfile(run.episodes_html, episodes_page.path)
    shutil.copyfile(run.summary, summary.path)
    shutil.copyfile(run.report, report_md.path)
    page = run.root / "report.html"
    if page.exists():
        shutil.copyfile(page, report.path)
    else:  # an analysis that writes only Markdown still gets a page in the UI
        text = html.escape(run.report.read_text(encoding="utf-8"))
        Path(report.path).write_text(f"<!doctype html><meta charset=utf-8><pre>{text}</pre>")
    facts = run.read_summary()
    for rate in facts.pass_rates:
        if rate.pass_rate is not None:
            name = f"pass_rate/{rate.configuration}/{rate.condition}/{rate.scorer}"
            metrics.log_metric(name, rate.pass_rate)
    for delta in facts.procedural_delta:
        if delta.delta is not None:
            metrics.log_metric(f"delta/{delta.configuration}/{delta.scorer}", delta.delta)
    for lift in facts.lift:
        if lift.lift is not None:
            metrics.log_metric(f"lift/{lift.student}/{lift.recipe}/{lift.scorer}", lift.lift)
    check_decided(list(read_rows(run.verdicts, Verdict)))
