{#
  The published features as declared in profile_features' YAML (rendered from the feature catalog): a list of
  {name, data_type, category, drift} in contract order. Static project metadata, not warehouse contents.
#}
{% macro published_features() %}
  {%- set node = published_model_node() -%}
  {%- if node is none -%}{{ return([]) }}{%- endif -%}
  {%- set features = [] -%}
  {%- for column in node.columns.values() if column.meta.get('category') -%}
    {%- do features.append({
      'name': column.name, 'data_type': column.data_type, 'category': column.meta['category'],
      'window': column.meta.get('window'),
      'drift': column.meta.get('drift', {}),
    }) -%}
  {%- endfor -%}
  {{ return(features) }}
{% endmacro %}

{#- Warn / error threshold of a drift metric for a feature: its YAML `meta.drift` override, else the var default. -#}
{% macro drift_threshold(feature, metric, level) %}
  {{ return(feature.drift.get(metric, {}).get(level, var('drift_thresholds')[metric][level])) }}
{% endmacro %}
