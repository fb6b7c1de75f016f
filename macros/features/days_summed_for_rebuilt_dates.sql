{#
  An incremental run's profile days for the window sums of its rebuilt feature dates (cutoff .. the last date of
  `feature_dates`), with the days that every rebuilt date sees the same way summed into one row per profile.

  A day before the cutoff is inside the N-day window of every rebuilt date, or of none, unless it lies within
  the last few days of the window's edge: such days read as one day of their class (rebuilt_dates_day_class)
  and are summed into one row. So a daily run joins each feature date to a few rows per profile instead of its
  90 days of activity; the sums are the same (integers and decimals: exact). Only for window sums: a count of
  days must count a summed column. `columns` maps each summed column to its type: the sums keep a narrow type
  (DuckDB sums integers into 128-bit ones, which the mart's own sums then add several times slower).
  Without a cutoff (a full build) there is nothing to sum: the days as they are.
#}
{% macro days_summed_for_rebuilt_dates(days, feature_dates, cutoff, columns) %}
  {%- if cutoff is none %}
    select * from {{ days }}
  {%- else %}
    select
        profile_id,
        summed_date as event_date,
        {%- for column, type in columns.items() %}
        cast(sum({{ column }}) as {{ type }}) as {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from (
        select
            {{ days }}.*,
            {{ rebuilt_dates_day_class(days ~ '.event_date', feature_dates, cutoff) }} as summed_date
        from {{ days }}
    ) as classified
    group by profile_id, summed_date
  {%- endif %}
{%- endmacro %}
