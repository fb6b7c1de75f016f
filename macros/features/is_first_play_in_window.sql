{#-
  True when a play inside the N-day window ending on `feature_date` is the first play of its item (title,
  series) in that window: the item's previous play (`previous_play_date`, null when there is none) is not in
  the window. Counting those plays counts the window's distinct items.
-#}
{% macro is_first_play_in_window(previous_play_date, days, feature_date='feature_date') -%}
  ({{ previous_play_date }} is null or not {{ in_last_days(days, previous_play_date, feature_date) }})
{%- endmacro %}
