{#-
  The FROM clause of a data-quality model's reference history: its own rows of the `days` feature dates before
  the first candidate date (`first_candidate_date`, a date literal), which drift is measured against. On a first
  build or --full-refresh there is no history: `empty_like` (a CTE of the same columns) with no row.
-#}
{% macro preceding_published_dates(empty_like, first_candidate_date, days=7) -%}
    {%- if is_incremental() and first_candidate_date is not none %}
        {{ this }}
    where
        feature_date < {{ first_candidate_date }}
        and feature_date >= {{ add_days(first_candidate_date, -days) }}
    {%- else %}
            {{ empty_like }}
        where false
    {%- endif %}
{%- endmacro %}
