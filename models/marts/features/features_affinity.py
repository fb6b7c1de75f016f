"""Affinity features (genre and device preferences), written once in the PySpark DataFrame API.

Runs natively on Spark / Databricks and on DuckDB through SQLFrame (see featurestore.xengine). Incremental on
feature_date like the SQL category marts: only the change set's feature dates from the cutoff on are rebuilt.
"""

from featurestore import xengine

GENRES = ("action", "comedy", "documentary", "drama", "horror", "kids", "romance", "scifi")


def in_window(F, feature_dates, events, days, columns):
    """Each feature date joined to the profile's `events` rows of the `days`-day window ending on it."""
    dates, events = feature_dates.alias("dates"), events.alias("events")
    return (
        dates.join(events, F.col("dates.profile_id") == F.col("events.profile_id"), how="inner")
        .select(
            F.col("dates.profile_id").alias("profile_id"),
            F.col("dates.feature_date").alias("feature_date"),
            F.datediff(F.col("dates.feature_date"), F.col("events.event_date")).alias("days_ago"),
            *[F.col(f"events.{column}").alias(column) for column in columns],
        )
        .where((F.col("days_ago") >= 0) & (F.col("days_ago") < days))
    )


def argmax_rank(F, W, keys, value_column, seconds_column):
    """Rank 1 = most watch seconds, ties to the alphabetically first value (only meaningful when seconds > 0)."""
    return F.row_number().over(
        W.partitionBy(*keys).orderBy(F.col(seconds_column).desc(), F.col(value_column).asc())
    )


def build(F, W, feature_dates, titles, devices, cutoff=None):
    keys = ["profile_id", "feature_date"]
    if cutoff is not None:
        feature_dates = feature_dates.where(F.col("feature_date") >= F.lit(cutoff).cast("date"))
        first_event_date = F.date_sub(F.lit(cutoff).cast("date"), 89)
        titles = titles.where(F.col("event_date") >= first_event_date)
        devices = devices.where(F.col("event_date") >= first_event_date)
    feature_dates = feature_dates.select(*keys)
    per_feature_date = W.partitionBy(*keys)
    in_28d = F.col("days_ago") < 28

    genres = (
        in_window(F, feature_dates, titles, 90, ["genre", "watch_seconds", "plays"])
        .groupBy(*keys, "genre")
        .agg(
            F.sum(F.when(in_28d, F.col("watch_seconds")).otherwise(0)).alias("seconds_28d"),
            F.sum(F.col("watch_seconds")).alias("seconds_90d"),
            F.sum(F.when(in_28d, F.col("plays")).otherwise(0)).alias("plays_28d"),
        )
        .withColumn("total_28d", F.sum(F.col("seconds_28d")).over(per_feature_date))
        .withColumn("total_90d", F.sum(F.col("seconds_90d")).over(per_feature_date))
        .withColumn("rank_28d", argmax_rank(F, W, keys, "genre", "seconds_28d"))
        .withColumn("rank_90d", argmax_rank(F, W, keys, "genre", "seconds_90d"))
    )
    share_28d = F.col("seconds_28d") / F.col("total_28d")
    is_top_28d = (F.col("rank_28d") == 1) & (F.col("seconds_28d") > 0)
    genre_summary = genres.groupBy(*keys).agg(
        F.max(F.when(is_top_28d, F.col("genre"))).alias("top_genre_28d"),
        F.max(F.when(is_top_28d, share_28d)).alias("top_genre_share_28d"),
        (-F.sum(F.when(F.col("seconds_28d") > 0, share_28d * F.log(share_28d)))).alias("genre_entropy_28d"),
        F.sum(F.when(F.col("plays_28d") > 0, 1).otherwise(0)).alias("distinct_genres_28d"),
        F.max(F.when((F.col("rank_90d") == 1) & (F.col("seconds_90d") > 0), F.col("genre"))).alias("top_genre_90d"),
        *[
            F.sum(F.when(F.col("genre") == genre, F.col("seconds_90d") / F.col("total_90d"))).alias(
                f"genre_share_{genre}_90d"
            )
            for genre in GENRES
        ],
        F.max(F.col("total_90d")).alias("total_90d"),
    )

    devices_28d = (
        in_window(F, feature_dates, devices, 28, ["device_type", "watch_seconds", "plays"])
        .groupBy(*keys, "device_type")
        .agg(F.sum("watch_seconds").alias("seconds_28d"), F.sum("plays").alias("plays_28d"))
        .withColumn("rank_28d", argmax_rank(F, W, keys, "device_type", "seconds_28d"))
    )
    device_summary = devices_28d.groupBy(*keys).agg(
        F.max(F.when((F.col("rank_28d") == 1) & (F.col("seconds_28d") > 0), F.col("device_type"))).alias(
            "primary_device_28d"
        ),
        F.sum(F.when(F.col("plays_28d") > 0, 1).otherwise(0)).alias("distinct_devices_28d"),
    )

    dates, g, v = feature_dates.alias("dates"), genre_summary.alias("g"), device_summary.alias("v")
    joined = dates.join(
        g, (F.col("dates.profile_id") == F.col("g.profile_id")) & (F.col("dates.feature_date") == F.col("g.feature_date")),
        how="left",
    ).join(
        v, (F.col("dates.profile_id") == F.col("v.profile_id")) & (F.col("dates.feature_date") == F.col("v.feature_date")),
        how="left",
    )
    has_90d = F.col("g.total_90d") > 0
    return joined.select(
        F.col("dates.profile_id").alias("profile_id"),
        F.col("g.top_genre_28d").cast("string").alias("top_genre_28d"),
        F.col("g.top_genre_share_28d").cast("double").alias("top_genre_share_28d"),
        # -sum(p ln p) is -0.0 for a single genre: add 0.0 so it reads as 0.
        (F.col("g.genre_entropy_28d") + F.lit(0.0)).cast("double").alias("genre_entropy_28d"),
        F.coalesce(F.col("g.distinct_genres_28d"), F.lit(0)).cast("int").alias("distinct_genres_28d"),
        F.col("g.top_genre_90d").cast("string").alias("top_genre_90d"),
        F.col("v.primary_device_28d").cast("string").alias("primary_device_28d"),
        F.coalesce(F.col("v.distinct_devices_28d"), F.lit(0)).cast("int").alias("distinct_devices_28d"),
        *[
            F.when(has_90d, F.coalesce(F.col(f"g.genre_share_{genre}_90d"), F.lit(0.0)))
            .cast("double")
            .alias(f"genre_share_{genre}_90d")
            for genre in GENRES
        ],
        F.col("dates.feature_date").alias("feature_date"),
    )


def model(dbt, session):
    dbt.config(materialized="incremental", unique_key="feature_date")
    dbt.ref("int_profile_feature_dates")
    dbt.ref("int_profile_day_titles_aggregated")
    dbt.ref("int_profile_day_devices_aggregated")
    return xengine.run(
        dbt,
        session,
        build,
        "int_profile_feature_dates",
        "int_profile_day_titles_aggregated",
        "int_profile_day_devices_aggregated",
        cutoff=xengine.incremental_cutoff(dbt, session, lookback_days=int(dbt.config.get("lookback_days"))),
    )
