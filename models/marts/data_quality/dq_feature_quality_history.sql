{{
  config(
    materialized='incremental',
    unique_key='feature_date',
    partition_by=storage_partition_by(['feature_date']),
  )
}}

{#-
  One row per feature per feature date of the candidate rows: volume, NULL rate, distribution statistics,
  top categories, and drift against the 7 preceding feature dates (NULL-rate change, mean shift in standard
  deviations, population stability index over `dq_feature_value_buckets`) with a status from the thresholds
  (var `drift_thresholds`, per-feature overrides in the YAML `meta.drift` of profile_features). Built before
  publish: `dq_publish_gate_findings` turns error statuses into a failed gate. BI tools read this table.
-#}
{%- set first_candidate_date = first_date_in(ref('profile_features_candidate')) %}

with

candidate as (

    select * from {{ ref('profile_features_candidate') }}

),

candidate_stats as (

    {%- for feature in published_features() %}
        {{ feature_daily_stats('candidate', feature) }}
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

previous_stats as (

    -- The published history the first candidate dates are compared with.
    select
        feature_date,
        feature_name,
        row_count,
        null_count,
        mean_value,
        stddev_value
    from {{ preceding_published_dates('candidate_stats', first_candidate_date) }}

),

stats_timeline as (

    select
        feature_date,
        feature_name,
        row_count,
        null_count,
        mean_value,
        stddev_value,
        1 as is_candidate
    from candidate_stats
    union all
    select
        feature_date,
        feature_name,
        row_count,
        null_count,
        mean_value,
        stddev_value,
        0 as is_candidate
    from previous_stats

),

previous_week as (

    select
        feature_date,
        feature_name,
        is_candidate,
        avg(cast(null_count as double) / row_count) over preceding_week as reference_null_rate,
        avg(mean_value) over preceding_week as reference_mean,
        avg(stddev_value) over preceding_week as reference_stddev
    from stats_timeline
    window preceding_week as (
        partition by feature_name
        order by feature_date
        rows between 7 preceding and 1 preceding
    )

),

bucket_shares as (

    select
        feature_date,
        feature_name,
        bucket,
        cast(row_count as double) / sum(row_count) over (partition by feature_date, feature_name) as bucket_share
    from {{ ref('dq_feature_value_buckets') }}
    {%- if first_candidate_date is not none %}
    where feature_date >= {{ add_days(first_candidate_date, -7) }}
    {%- endif %}

),

reference_window as (

    -- Each candidate date's buckets of the (up to) 7 calendar days before it.
    select
        candidate_dates.feature_date,
        candidate_dates.feature_name,
        earlier.feature_date as reference_date,
        earlier.bucket,
        earlier.bucket_share
    from (
        select distinct
            feature_date,
            feature_name
        from candidate_stats
    ) as candidate_dates
    inner join bucket_shares as earlier
        on candidate_dates.feature_name = earlier.feature_name
            and earlier.feature_date between {{ add_days('candidate_dates.feature_date', -7) }}
            and {{ add_days('candidate_dates.feature_date', -1) }}

),

reference_buckets as (

    select
        feature_date,
        feature_name,
        bucket,
        sum(bucket_share) as share_sum
    from reference_window
    group by feature_date, feature_name, bucket

),

reference_days as (

    select
        feature_date,
        feature_name,
        count(distinct reference_date) as day_count
    from reference_window
    group by feature_date, feature_name

),

actual_buckets as (

    select *
    from bucket_shares
    where feature_date in (select candidate_stats.feature_date from candidate_stats)

),

expected_buckets as (

    select
        reference_buckets.feature_date,
        reference_buckets.feature_name,
        reference_buckets.bucket,
        reference_buckets.share_sum / reference_days.day_count as bucket_share
    from reference_buckets
    inner join reference_days
        on reference_buckets.feature_date = reference_days.feature_date
            and reference_buckets.feature_name = reference_days.feature_name

),

bucket_pairs as (

    -- Shares floored at 0.0001 so an empty bucket on either side keeps the index finite.
    select
        coalesce(actual_buckets.feature_date, expected_buckets.feature_date) as feature_date,
        coalesce(actual_buckets.feature_name, expected_buckets.feature_name) as feature_name,
        greatest(coalesce(actual_buckets.bucket_share, 0), 0.0001) as actual_share,
        greatest(coalesce(expected_buckets.bucket_share, 0), 0.0001) as expected_share
    from actual_buckets
    full outer join expected_buckets
        on actual_buckets.feature_date = expected_buckets.feature_date
            and actual_buckets.feature_name = expected_buckets.feature_name
            and actual_buckets.bucket = expected_buckets.bucket

),

psi as (

    -- Population stability index: sum over buckets of (actual - expected) * ln(actual / expected).
    select
        feature_date,
        feature_name,
        sum((actual_share - expected_share) * ln(actual_share / expected_share)) as psi
    from bucket_pairs
    group by feature_date, feature_name

),

top_categories as (

    select
        feature_date,
        feature_name,
        '[' || concat_ws(
            ',',
            max(case when category_rank = 1 then category_json end),
            max(case when category_rank = 2 then category_json end),
            max(case when category_rank = 3 then category_json end),
            max(case when category_rank = 4 then category_json end),
            max(case when category_rank = 5 then category_json end)
        ) || ']' as top_categories
    from (
        select
            bucket_shares.feature_date,
            bucket_shares.feature_name,
            '{"value":"' || bucket_shares.bucket || '","share":'
            || cast(round(bucket_shares.bucket_share, 4) as {{ dbt.type_string() }}) || '}' as category_json,
            row_number() over (
                partition by bucket_shares.feature_date, bucket_shares.feature_name
                order by bucket_shares.bucket_share desc, bucket_shares.bucket asc
            ) as category_rank
        from bucket_shares
        inner join (
            select distinct
                feature_date,
                feature_name
            from candidate_stats
            where data_type in ('string', 'boolean')
        ) as categorical
            on bucket_shares.feature_date = categorical.feature_date
                and bucket_shares.feature_name = categorical.feature_name
    ) as ranked
    group by feature_date, feature_name

),

scored as (

    select
        candidate_stats.*,
        cast(candidate_stats.null_count as double) / candidate_stats.row_count as null_rate,
        cast(candidate_stats.null_count as double) / candidate_stats.row_count - previous_week.reference_null_rate
            as null_rate_change,
        abs(candidate_stats.mean_value - previous_week.reference_mean) / nullif(previous_week.reference_stddev, 0)
            as mean_shift_stddevs,
        case when previous_week.reference_null_rate is not null then psi.psi end as psi,
        top_categories.top_categories
    from candidate_stats
    inner join previous_week
        on candidate_stats.feature_date = previous_week.feature_date
            and candidate_stats.feature_name = previous_week.feature_name
            and previous_week.is_candidate = 1
    left join psi
        on candidate_stats.feature_date = psi.feature_date
            and candidate_stats.feature_name = psi.feature_name
    left join top_categories
        on candidate_stats.feature_date = top_categories.feature_date
            and candidate_stats.feature_name = top_categories.feature_name

),

final as (

    select
        feature_name,
        category,
        data_type,
        -- Explicit types: the model contract is the same on every engine, whatever each infers.
        cast(row_count as bigint) as row_count,
        cast(null_count as bigint) as null_count,
        cast(null_rate as double) as null_rate,
        cast(min_value as double) as min_value,
        cast(max_value as double) as max_value,
        cast(mean_value as double) as mean_value,
        cast(stddev_value as double) as stddev_value,
        cast(p01 as double) as p01,
        cast(p50 as double) as p50,
        cast(p99 as double) as p99,
        top_categories,
        cast(null_rate_change as double) as null_rate_change,
        cast(mean_shift_stddevs as double) as mean_shift_stddevs,
        cast(psi as double) as psi,
        case
            -- Too few rows for a distribution comparison to mean anything: scores are kept, no verdict.
            when row_count < {{ var('drift_min_rows') }} then 'ok'
            when abs(null_rate_change) > null_rate_change_error
                or mean_shift_stddevs > mean_shift_error
                or psi > psi_error then 'error'
            when abs(null_rate_change) > null_rate_change_warn
                or mean_shift_stddevs > mean_shift_warn
                or psi > psi_warn then 'warn'
            else 'ok'
        end as drift_status,
        '{{ invocation_id }}' as run_id,
        feature_date
    from scored

)

select * from final
