-- The seed as it is, except a NULL string (see measurements.sql).
select
    k1,
    case when k2 = 'None' then null else k2 end as k2,
    batch
from {{ ref('seed_pairs') }}
