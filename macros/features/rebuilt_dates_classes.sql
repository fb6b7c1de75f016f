{#
  An incremental run rebuilds the feature dates from its cutoff to the last one (`feature_dates`). A value of an
  activity row that the window conditions compare with a feature date can often be replaced by another that
  every rebuilt date compares the same way: rows that then look alike can be summed (counted) into one row
  before the window join, with the same result (days_summed_for_rebuilt_dates, features_content_consumption).
  Each macro returns that representative value (the value itself where the rebuilt dates do not agree).
#}

{#- The last rebuilt date, read when the query runs. -#}
{% macro rebuilt_dates_last_date(feature_dates) -%}
  (select max(feature_date) from {{ feature_dates }})
{%- endmacro %}

{#- An activity day before the cutoff, for the cataloged windows w1 < w2 < ... (change_set_window_edges; 1 day is
    `event_date = feature_date`, never a day before the cutoff): the days from (last date - wj + 1) to
    (cutoff - w(j-1)) are inside windows wj, w(j+1), ... of every rebuilt date and outside the shorter ones, so
    they all read as (cutoff - w(j-1)), the class's last day. Other days (the rebuilt dates themselves, the days
    at a window's edge) stay as they are. -#}
{% macro rebuilt_dates_day_class(day, feature_dates, cutoff) -%}
  {%- set windows = change_set_window_edges() | reject('equalto', 0) | sort %}
  {%- set last_date = rebuilt_dates_last_date(feature_dates) -%}
  case
    {%- for window in windows %}
      {%- set shorter = 1 if loop.first else windows[loop.index0 - 1] %}
    when {{ day }} between {{ add_days(last_date, 1 - window) }} and {{ add_days(cutoff, -shorter) }}
      then {{ add_days(cutoff, -shorter) }}
    {%- endfor %}
    else {{ day }}
  end
{%- endmacro %}

{#- A previous play that `is_first_play_in_window` compares with the `windows` (days) ending on each rebuilt date:
    it is before window w of every rebuilt date when it is on or before (cutoff - w), and inside it for every one
    when it is on or after (last date - w + 1). Previous plays that every rebuilt date places alike read as the
    class's last day before the windows they precede, or as (last date - shortest + 1) when inside them all. -#}
{% macro rebuilt_dates_previous_play_class(previous_play, windows, feature_dates, cutoff) -%}
  {%- set windows = windows | sort(reverse=true) %}
  {%- set last_date = rebuilt_dates_last_date(feature_dates) -%}
  case
    {%- for window in windows %}
    when {{ previous_play }} <= {{ add_days(cutoff, -window) }}
      {%- if not loop.first %} and {{ previous_play }} >= {{ add_days(last_date, 1 - windows[loop.index0 - 1]) }}{% endif %}
      then {{ add_days(cutoff, -window) }}
    {%- endfor %}
    when {{ previous_play }} >= {{ add_days(last_date, 1 - windows[-1]) }} then {{ add_days(last_date, 1 - windows[-1]) }}
    else {{ previous_play }}
  end
{%- endmacro %}
