{#
  The stored columns of profile_features that the category marts compute, in contract order: the features
  (meta `category`) and the lifecycle anchor dates (meta `computed_in`), each as {name, category}, where
  category is the mart (`features_<category>`) to select it from. Read from profile_features' YAML, which
  scripts/render_feature_docs.py renders from the feature catalog: a cataloged feature is published without
  editing any select list.
#}
{% macro published_feature_columns() %}
  {%- set node = published_model_node() -%}
  {%- if node is none -%}{{ return([]) }}{%- endif -%}
  {%- set columns = [] -%}
  {%- for column in node.columns.values() -%}
    {%- set category = column.meta.get('category') or column.meta.get('computed_in') -%}
    {%- if category -%}
      {%- do columns.append({'name': column.name, 'category': category}) -%}
    {%- endif -%}
  {%- endfor -%}
  {{ return(columns) }}
{% endmacro %}
