{#
  The graph node of the published model, profile_features, at its latest version (the contract the project
  publishes and serves; a new version can run beside it). None at parse time.
#}
{% macro published_model_node() %}
  {%- if not execute -%}{{ return(none) }}{%- endif -%}
  {%- for node in graph.nodes.values()
      if node.resource_type == 'model' and node.package_name == project_name and node.name == 'profile_features'
        and (node.version is none or node.version | string == node.latest_version | string) -%}
    {{ return(node) }}
  {%- endfor -%}
  {{ return(none) }}
{% endmacro %}
