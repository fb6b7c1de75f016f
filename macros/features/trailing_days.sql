{#-
  The frame of an N-day feature window ending on the current row's day: N calendar days including it
  (`_1d` is the day alone). The one definition of a feature window, for timelines ordered by `day_number`.
  A RANGE frame includes every row of the same day, so a day's activity counts on that day's feature row.
-#}
{% macro trailing_days(days, partition_by='profile_id', order_by='day_number') -%}
  (partition by {{ partition_by }} order by {{ order_by }} range between {{ days - 1 }} preceding and current row)
{%- endmacro %}
