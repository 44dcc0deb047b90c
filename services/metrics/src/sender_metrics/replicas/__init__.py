"""Viewer state shared by any number of metrics replicas, in Redis (`SENDER_METRICS_REDIS_URL`).

    connection.RedisConnection   the client, owned by the lifespan; readiness ping
    nodes.RedisNodes             key pins (HSETNX) and per node/channel sequences (one script)
    viewers.RedisViewers         per-endpoint sorted sets of viewer keys scored by last seen
    streams.RedisStreams         stream states, newest `at` wins (one script)
    lease.Lease                  which replica exports the gauges and writes snapshots

Key layout under the prefix `sender:metrics:` is in `connection.Keys`.
"""
