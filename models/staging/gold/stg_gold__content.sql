with

source as (

    select * from {{ source('gold', 'content') }}

),

renamed as (

    select
        cast(content_id as {{ dbt.type_string() }}) as content_id,
        lower(trim(cast(content_type as {{ dbt.type_string() }}))) as content_type,
        cast(series_id as {{ dbt.type_string() }}) as series_id,
        lower(trim(cast(genre as {{ dbt.type_string() }}))) as genre,
        try_cast(duration_seconds as int) as duration_seconds,
        try_cast(release_date as date) as release_date
    from source

)

select * from renamed
