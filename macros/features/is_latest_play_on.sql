{#-
  True when the play dated before `feature_date` whose next play of the same item is `next_play_date` is the
  item's latest play on or before `feature_date` (no next play, or the next one comes after it).
-#}
{% macro is_latest_play_on(next_play_date, feature_date='feature_date') -%}
  ({{ next_play_date }} is null or {{ next_play_date }} > {{ feature_date }})
{%- endmacro %}
