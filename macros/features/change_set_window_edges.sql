{#
  The window edges of the change set (int_profile_feature_dates): the days after an activity on which a stored
  value can change because the activity enters (0) or leaves (N) an N-day window, for every window of the
  cataloged features of `categories` (all when none), read from the features' meta `window` ('7d', '7d/28d').
  So a feature with a new window length gets its edge from its catalog row alone. watch_minutes_1d alone needs
  no edge: every reader brings it to 0 after its row's date (profile_features_point_in_time, the online
  store's as-of), which saves a row per profile on the day after each active day.
#}
{% macro change_set_window_edges(categories=none) %}
  {%- set edges = [0] -%}
  {%- for feature in published_features() if categories is none or feature.category in categories -%}
    {%- for window in (feature.window or '').split('/') -%}
      {%- set window = window | trim -%}
      {%- set days = window[:-1] | int(0) if window[-1:] == 'd' else 0 -%}
      {%- set brought_forward_on_read = feature.name == 'watch_minutes_1d' -%}
      {%- if days > 0 and not brought_forward_on_read and days not in edges -%}{%- do edges.append(days) -%}{%- endif -%}
    {%- endfor -%}
  {%- endfor -%}
  {{ return(edges | sort) }}
{% endmacro %}
