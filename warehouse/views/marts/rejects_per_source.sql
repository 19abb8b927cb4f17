-- Rejected inputs per source (directory or host) and reason.
create or replace view rejects_per_source as
with rejects as (
    select * from rejects
)
select
    case
        when source_uri like 'http%' then split_part(source_uri, '/', 3)
        else regexp_replace(source_uri, '/[^/]*$', '')
    end as source,
    reason,
    count(*) as n_rejects,
    list(source_uri order by source_uri) as inputs
from rejects
group by all
