-- Every recorded run with its duration and how many of its documents and rejects are still current.
create or replace view run_history as
with runs as (
    select * from runs
),
docs as (
    select run_id, count(*) as n_documents_now from documents group by run_id
),
rejected as (
    select run_id, count(*) as n_rejects_now from rejects group by run_id
)
select
    r.run_id,
    r.status,
    r.started_at,
    r.finished_at,
    round(date_diff('millisecond', r.started_at, r.finished_at) / 1000.0, 1) as duration_s,
    r.n_seen,
    r.n_loaded,
    r.n_skipped,
    r.n_rejected,
    coalesce(d.n_documents_now, 0) as n_documents_now,
    coalesce(x.n_rejects_now, 0) as n_rejects_now,
    r.pipeline_version,
    r.sources,
    r.flow_run_id
from runs as r
left join docs as d using (run_id)
left join rejected as x using (run_id)
