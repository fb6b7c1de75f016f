{#- The Gold tables of the v1 source contract, in the order they are checked. -#}
{% macro gold_source_tables() %}
  {{ return(['accounts', 'profiles', 'content', 'viewing_events', 'engagement_events']) }}
{% endmacro %}
