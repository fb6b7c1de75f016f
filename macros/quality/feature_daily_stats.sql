{#- One feature's statistics per feature date of `source` (a CTE of candidate rows), with its drift thresholds. -#}
{% macro feature_daily_stats(source, feature) -%}
  {%- set value = feature_numeric_value(feature.name, feature.data_type) -%}
  {%- set p01, p50, p99 = approximate_percentiles(value, [0.01, 0.5, 0.99]) -%}
    select
        feature_date,
        '{{ feature.name }}' as feature_name,
        '{{ feature.category }}' as category,
        '{{ feature.data_type }}' as data_type,
        count(*) as row_count,
        count(*) - count({{ feature.name }}) as null_count,
        min({{ value }}) as min_value,
        max({{ value }}) as max_value,
        avg({{ value }}) as mean_value,
        stddev_samp({{ value }}) as stddev_value,
        {{ p01 }} as p01,
        {{ p50 }} as p50,
        {{ p99 }} as p99,
        {{ drift_threshold(feature, 'null_rate_change', 'warn') }} as null_rate_change_warn,
        {{ drift_threshold(feature, 'null_rate_change', 'error') }} as null_rate_change_error,
        {{ drift_threshold(feature, 'mean_shift_stddevs', 'warn') }} as mean_shift_warn,
        {{ drift_threshold(feature, 'mean_shift_stddevs', 'error') }} as mean_shift_error,
        {{ drift_threshold(feature, 'psi', 'warn') }} as psi_warn,
        {{ drift_threshold(feature, 'psi', 'error') }} as psi_error
    from {{ source }}
    group by feature_date
{%- endmacro %}

{#- One feature's rows per bucket (see `feature_bucket`) and feature date of `source`. -#}
{% macro feature_bucket_counts(source, feature) -%}
    select
        '{{ feature.name }}' as feature_name,
        {{ feature_bucket(feature.name, feature.data_type) }} as bucket,
        count(*) as row_count,
        feature_date
    from {{ source }}
    group by {{ feature_bucket_key(feature.name, feature.data_type) }}, feature_date
{%- endmacro %}
