-- Drift findings of this run's newest candidate dates (write-audit-publish, step "audit"). Its tests gate the
-- publish: any `error` row stops `profile_features` from changing; `warn` rows publish and are reported.
-- Gated: the newest `lookback_days` + 1 dates, the ones a daily run adds or corrects. On a first build or a
-- backfill the older dates are scored too (see dq_feature_quality_history and the report) but do not gate.
with

candidate_dates as (

    select distinct candidate.feature_date
    from {{ ref('profile_features_candidate') }} as candidate
    where candidate.feature_date > (
            select {{ add_days('max(newest.feature_date)', -(var('lookback_days') + 1)) }}
            from {{ ref('profile_features_candidate') }} as newest
        )

),

feature_drift as (

    select
        history.feature_date,
        history.feature_name as check_name,
        history.drift_status as status,
        'null_rate_change=' || coalesce(cast(round(history.null_rate_change, 4) as {{ dbt.type_string() }}), '-')
        || ' mean_shift_stddevs='
        || coalesce(cast(round(history.mean_shift_stddevs, 3) as {{ dbt.type_string() }}), '-')
        || ' psi=' || coalesce(cast(round(history.psi, 4) as {{ dbt.type_string() }}), '-') as detail
    from {{ ref('dq_feature_quality_history') }} as history
    inner join candidate_dates
        on history.feature_date = candidate_dates.feature_date
    where history.drift_status != 'ok'

),

volume as (

    select
        volume.feature_date,
        'active_profiles' as check_name,
        volume.volume_status as status,
        'active_profiles=' || cast(volume.active_profiles as {{ dbt.type_string() }})
        || ' ratio_to_previous_7_days=' || cast(round(volume.active_profile_ratio, 3) as {{ dbt.type_string() }})
            as detail
    from {{ ref('dq_active_profile_volume') }} as volume
    inner join candidate_dates
        on volume.feature_date = candidate_dates.feature_date
    where volume.volume_status != 'ok'

),

final as (

    select * from feature_drift
    union all
    select * from volume

)

select * from final
