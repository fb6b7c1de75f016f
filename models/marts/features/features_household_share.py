"""Household-share features: how a profile's last 28 days compare with the other live profiles of its account.

Written once in the PySpark DataFrame API (Spark natively, DuckDB through SQLFrame; see featurestore.xengine).
"Household" = the profiles of the account live on the feature date D; "others" = the household without the
profile. Sets and vectors are built per (account, D) so each household is computed once for all its members.
"""

from featurestore import xengine


def qualified(F, alias, *columns):
    return [F.col(f"{alias}.{column}").alias(column) for column in columns]


def build(F, W, feature_dates, profiles, titles, cutoff=None):
    if cutoff is not None:
        feature_dates = feature_dates.where(F.col("feature_date") >= F.lit(cutoff).cast("date"))
        first_event_date = F.date_sub(F.lit(cutoff).cast("date"), 27)
        titles = titles.where(F.col("event_date") >= first_event_date)
    household = ["account_id", "feature_date"]
    member_keys = [*household, "profile_id"]

    # Live members of every household that has a feature date to build.
    requests = feature_dates.select(*household).distinct().alias("requests")
    live = F.col("p.created_date") <= F.col("requests.feature_date")
    not_deleted = F.col("p.deleted_date").isNull() | (F.col("p.deleted_date") > F.col("requests.feature_date"))
    members = (
        requests.join(profiles.alias("p"), F.col("requests.account_id") == F.col("p.account_id"), how="inner")
        .where(live & not_deleted)
        .select(*qualified(F, "requests", *household), F.col("p.profile_id").alias("profile_id"))
    )

    # Every member's plays of the 28 days ending on D.
    plays = (
        members.alias("m")
        .join(titles.alias("t"), F.col("m.profile_id") == F.col("t.profile_id"), how="inner")
        .where(
            (F.col("t.event_date") <= F.col("m.feature_date"))
            & (F.datediff(F.col("m.feature_date"), F.col("t.event_date")) < 28)
        )
        .select(*qualified(F, "m", *member_keys), *qualified(F, "t", "event_date", "content_id", "genre", "watch_seconds"))
    )

    member_seconds = plays.groupBy(*member_keys).agg(F.sum("watch_seconds").alias("seconds"))
    household_totals = member_seconds.groupBy(*household).agg(
        F.count(F.lit(1)).alias("active_profiles"),
        F.sum("seconds").alias("household_seconds"),
        F.max("seconds").alias("max_member_seconds"),
    )
    household_sizes = members.groupBy(*household).agg(F.count(F.lit(1)).alias("household_profiles"))

    # Titles: Jaccard(own set, others' union) = |own titles others also played| / |all household titles|.
    title_members = (
        plays.select(*member_keys, "content_id").distinct()
        .withColumn("members_on_title", F.count(F.lit(1)).over(W.partitionBy(*household, "content_id")))
    )
    title_overlap = title_members.groupBy(*member_keys).agg(
        F.sum(F.when(F.col("members_on_title") >= 2, 1).otherwise(0)).alias("shared_titles")
    )
    household_titles = title_members.select(*household, "content_id").distinct().groupBy(*household).agg(
        F.count(F.lit(1)).alias("household_titles")
    )

    # Genres: cosine(own vector, sum of the others' vectors) over the household's genres.
    member_genres = plays.groupBy(*member_keys, "genre").agg(F.sum("watch_seconds").alias("own_seconds"))
    household_genres = member_genres.groupBy(*household, "genre").agg(F.sum("own_seconds").alias("genre_seconds"))
    genre_grid = (
        members.alias("m")
        .join(
            household_genres.alias("hg"),
            (F.col("m.account_id") == F.col("hg.account_id")) & (F.col("m.feature_date") == F.col("hg.feature_date")),
            how="inner",
        )
        .select(*qualified(F, "m", *member_keys), *qualified(F, "hg", "genre", "genre_seconds"))
        .alias("grid")
        .join(
            member_genres.alias("mg"),
            (F.col("grid.profile_id") == F.col("mg.profile_id"))
            & (F.col("grid.feature_date") == F.col("mg.feature_date"))
            & (F.col("grid.genre") == F.col("mg.genre")),
            how="left",
        )
        .select(
            *qualified(F, "grid", *member_keys),
            F.coalesce(F.col("mg.own_seconds"), F.lit(0)).cast("double").alias("own"),
            (F.col("grid.genre_seconds") - F.coalesce(F.col("mg.own_seconds"), F.lit(0))).cast("double").alias("others"),
        )
    )
    genre_similarity = genre_grid.groupBy(*member_keys).agg(
        F.sum(F.col("own") * F.col("others")).alias("dot"),
        F.sqrt(F.sum(F.col("own") * F.col("own"))).alias("own_norm"),
        F.sqrt(F.sum(F.col("others") * F.col("others"))).alias("others_norm"),
    )

    # Days this profile and at least one other live member both played.
    member_days = plays.select(*member_keys, "event_date").distinct().withColumn(
        "members_on_day", F.count(F.lit(1)).over(W.partitionBy(*household, "event_date"))
    )
    shared_days = member_days.groupBy(*member_keys).agg(
        F.sum(F.when(F.col("members_on_day") >= 2, 1).otherwise(0)).alias("shared_days")
    )

    def on_member(alias):
        return (
            (F.col("f.profile_id") == F.col(f"{alias}.profile_id"))
            & (F.col("f.feature_date") == F.col(f"{alias}.feature_date"))
        )

    def on_household(alias):
        return (
            (F.col("f.account_id") == F.col(f"{alias}.account_id"))
            & (F.col("f.feature_date") == F.col(f"{alias}.feature_date"))
        )

    joined = (
        feature_dates.alias("f")
        .join(profiles.alias("p"), F.col("f.profile_id") == F.col("p.profile_id"), how="inner")
        .join(household_sizes.alias("hs"), on_household("hs"), how="left")
        .join(household_totals.alias("ht"), on_household("ht"), how="left")
        .join(household_titles.alias("htt"), on_household("htt"), how="left")
        .join(member_seconds.alias("ms"), on_member("ms"), how="left")
        .join(title_overlap.alias("to"), on_member("to"), how="left")
        .join(genre_similarity.alias("gs"), on_member("gs"), how="left")
        .join(shared_days.alias("sd"), on_member("sd"), how="left")
    )
    own_seconds = F.coalesce(F.col("ms.seconds"), F.lit(0))
    household_seconds = F.coalesce(F.col("ht.household_seconds"), F.lit(0))
    return joined.select(
        F.col("f.profile_id").alias("profile_id"),
        F.coalesce(F.col("hs.household_profiles"), F.lit(1)).cast("int").alias("household_profiles"),
        F.coalesce(F.col("ht.active_profiles"), F.lit(0)).cast("int").alias("household_active_profiles_28d"),
        F.when(household_seconds > 0, own_seconds / household_seconds).cast("double").alias("household_watch_share_28d"),
        ((own_seconds > 0) & (own_seconds == F.coalesce(F.col("ht.max_member_seconds"), F.lit(0))))
        .alias("is_household_top_viewer_28d"),
        F.when(
            F.coalesce(F.col("htt.household_titles"), F.lit(0)) > 0,
            F.coalesce(F.col("to.shared_titles"), F.lit(0)) / F.col("htt.household_titles"),
        ).cast("double").alias("household_title_overlap_28d"),
        F.when(
            (F.col("gs.own_norm") > 0) & (F.col("gs.others_norm") > 0),
            F.col("gs.dot") / (F.col("gs.own_norm") * F.col("gs.others_norm")),
        ).cast("double").alias("household_genre_similarity_28d"),
        F.coalesce(F.col("sd.shared_days"), F.lit(0)).cast("int").alias("household_shared_days_28d"),
        F.coalesce(F.col("p.is_kids"), F.lit(False)).alias("is_kids_profile"),
        F.col("f.feature_date").alias("feature_date"),
    )


def model(dbt, session):
    dbt.config(materialized="incremental", unique_key="feature_date")
    dbt.ref("int_profile_feature_dates")
    dbt.ref("stg_gold__profiles")
    dbt.ref("int_profile_day_titles_aggregated")
    return xengine.run(
        dbt,
        session,
        build,
        "int_profile_feature_dates",
        "stg_gold__profiles",
        "int_profile_day_titles_aggregated",
        cutoff=xengine.incremental_cutoff(dbt, session, lookback_days=int(dbt.config.get("lookback_days"))),
    )
