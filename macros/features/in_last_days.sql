{#
  True when `event_date` lies in the N-day window ending on `feature_date` (N calendar days including it),
  assuming the caller already bounds event_date <= feature_date. The one definition of a feature window.
#}
{% macro in_last_days(days, event_date='event_date', feature_date='feature_date') -%}
  {{ event_date }} >= {{ add_days(feature_date, -(days - 1)) }}
{%- endmacro %}
