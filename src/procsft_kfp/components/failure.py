"""The exit step: records whether the pipeline run failed, in its run folder and in tracking."""

from kfp import dsl

from procsft_kfp.components.images import BASE_IMAGE
from procsft_kfp.components.study_run import study_run


@dsl.component(base_image=BASE_IMAGE, install_kfp_package=False, additional_funcs=[study_run])
def record_failure(
    status: dsl.PipelineTaskFinalStatus,
    config_yaml: str,
    run_root: str,
    run_id: str,
    tracking_uri: str,
):
    """Write `failure.json` in the run folder when the run did not succeed (and hand it to
    `procsft.store.tracking.record_failure` when that exists); remove it when it succeeded, so
    a resumed run that finishes is not left marked failed."""
    import json
    import time

    from procsft.atomic import write_text_atomic

    config, run = study_run(config_yaml, run_root, run_id)
    marker = run.root / "failure.json"
    if status.state == "SUCCEEDED":
        marker.unlink(missing_ok=True)
        return
    failure = {
        "state": status.state,
        "error_code": status.error_code,
        "error_message": status.error_message,
        "pipeline_job": status.pipeline_job_resource_name,
        "recorded_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    write_text_atomic(marker, json.dumps(failure, indent=2) + "\n")
    print(f"record_failure: {marker}: {failure['error_message']}")
    try:
        from procsft.store.tracking import record_failure as track_failure
    except ImportError:
        print("record_failure: procsft.store.tracking.record_failure is not available")
        return
    track_failure(run.root, failure, tracking_uri=tracking_uri or config.storage.tracking_uri)
