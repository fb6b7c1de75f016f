{#
  An incremental run's profile days for the window sums of its rebuilt feature dates (cutoff .. the last date of
  `feature_dates`), with the days that every rebuilt date sees the same way summed into one row per profile.

  A day before the cutoff is inside the N-day window of every rebuilt date, or of none, unless it lies within
  the last few days of the window's edge. For the cataloged window lengths w1 < w2 < ... (change_set_window_edges;
  1 day is `event_date = feature_date`, never a day before the cutoff), the days from (last date - wj + 1) to
  (cutoff - w(j-1)) are inside the windows wj, w(j+1), ... of every rebuilt date and outside the shorter ones:
  they become one row dated (cutoff - w(j-1)), the class's last day, which every rebuilt date classifies the
  same way. Days of no class (the rebuilt dates themselves and the days at a window's edge) are kept as they are.
  So a daily run joins each feature date to a few rows per profile instead of its 90 days of activity; the sums
  are the same (integers and decimals: exact). Only for window sums: a count of days must count a summed column.
  `columns` maps each summed column to its type: the sums keep a narrow type (DuckDB sums integers into 128-bit
  ones, which the mart's own sums then add several times slower).
#}
{% macro days_summed_for_rebuilt_dates(days, feature_dates, cutoff, columns) %}
  {%- set windows = change_set_window_edges() | reject('equalto', 0) | sort %}
  {%- set last_date = '(select max(feature_date) from ' ~ feature_dates ~ ')' %}
    select
        profile_id,
        summed_date as event_date,
        {%- for column, type in columns.items() %}
        cast(sum({{ column }}) as {{ type }}) as {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from (
        select
            {{ days }}.*,
            case
            {%- for window in windows %}
                {%- set shorter = 1 if loop.first else windows[loop.index0 - 1] %}
                when {{ days }}.event_date between {{ add_days(last_date, 1 - window) }}
                    and {{ add_days(cutoff, -shorter) }}
                    then {{ add_days(cutoff, -shorter) }}
            {%- endfor %}
                else {{ days }}.event_date
            end as summed_date
        from {{ days }}
    ) as classified
    group by profile_id, summed_date
{%- endmacro %}
