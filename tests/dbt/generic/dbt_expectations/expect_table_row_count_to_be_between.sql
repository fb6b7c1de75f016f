{#- dbt-expectations: macros/schema_tests/table_shape/expect_table_row_count_to_be_between.sql
    Fails when count(*) (per group_by group, if given) is outside [min_value, max_value]. Without group_by
    an empty table (or row_condition matching nothing) counts 0; with group_by, absent groups are not seen.
    The package dispatches to `default__test_expect_table_row_count_to_be_between`; that body is inlined. -#}
{%- test expect_table_row_count_to_be_between(model,
                                              min_value=None,
                                              max_value=None,
                                              group_by=None,
                                              row_condition=None,
                                              strictly=False
                                              ) -%}
{% set expression %}
count(*)
{% endset %}
{{ test_expression_between(model,
                           expression=expression,
                           min_value=min_value,
                           max_value=max_value,
                           group_by_columns=group_by,
                           row_condition=row_condition,
                           strictly=strictly
                           ) }}
{% endtest %}
