-- The seed as it is, except a NULL string: dbt-spark's session method loads a seed's empty (NULL) string
-- field as the text 'None' (its cursor quotes every non-numeric binding), so it is turned back into NULL
-- here. A no-op on DuckDB. Integer NULLs load fine on both.
select
    id,
    grp,
    score,
    label,
    code,
    case when note = 'None' then null else note end as note
from {{ ref('seed_measurements') }}
