{#
  The latest event_date stored in this incremental model before `cutoff`, per value of `keys`, for the keys
  that `changed` (the rows this run rebuilds) holds, among the stored rows that meet `where` (SQL on the alias
  `stored`). Columns: the keys and previous_play_date. An incremental run rebuilds every date from its cutoff on,
  so the rows before it are the history a rebuilt row's "previous" lookup continues; a full build has none (the
  same columns, no rows).
#}
{% macro stored_date_before_cutoff(keys, changed, cutoff, where='true') -%}
  {%- if cutoff is not none %}
    select
        {%- for key in keys %}
        stored.{{ key }},
        {%- endfor %}
        max(stored.event_date) as previous_play_date
    from {{ this }} as stored
    inner join (select distinct {{ keys | join(', ') }} from {{ changed }}) as replayed
        on
        {%- for key in keys %}
            {{ 'and ' if not loop.first }}stored.{{ key }} = replayed.{{ key }}
        {%- endfor %}
    where {{ where }} and stored.event_date < {{ cutoff }}
    group by {% for key in keys %}stored.{{ key }}{{ ', ' if not loop.last }}{% endfor %}
  {%- else %}
    select
        {%- for key in keys %}
        {{ key }},
        {%- endfor %}
        event_date as previous_play_date
    from {{ changed }}
    where false
  {%- endif %}
{%- endmacro %}
