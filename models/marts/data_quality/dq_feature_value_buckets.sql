{{
  config(
    materialized='incremental',
    unique_key='feature_date',
    partition_by=storage_partition_by(['feature_date']),
  )
}}

-- Distribution of every feature per feature date of the candidate rows, in buckets (see `feature_bucket`).
with

candidate as (

    select * from {{ ref('profile_features_candidate') }}

),

buckets as (

    {%- for feature in published_features() %}
        {{ feature_bucket_counts('candidate', feature) }}
        {% if not loop.last %}union all{% endif %}
    {%- endfor %}

)

select * from buckets
