-- task_day as first written was not inlined: extract() from a timestamptz
-- is only STABLE, more volatile than the function declares, so every call
-- ran through the SQL-function executor, which parses and plans its body
-- again in each statement that calls it; the count triggers call it twice per
-- changed row. Extracting the epoch of an interval is IMMUTABLE, so this body
-- is inlined into the statements that use it. Same values.
CREATE OR REPLACE FUNCTION task_day(t timestamptz) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(floor(extract(epoch FROM t - '1970-01-01 00:00:00+00'::timestamptz) / 86400)::integer, -2147483648)
$$;
