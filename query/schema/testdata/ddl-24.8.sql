CREATE TABLE IF NOT EXISTS flows (
    `time` DateTime64(9, 'UTC') CODEC(DoubleDelta, ZSTD(1)),
    `time_ns` UInt64 ALIAS toUnixTimestamp64Nano(time),
    `id` UInt64 CODEC(T64, ZSTD(1)),
    `node_name` LowCardinality(String),
    `verdict` Enum8('VERDICT_UNKNOWN' = 0, 'FORWARDED' = 1, 'DROPPED' = 2, 'AUDIT' = 3, 'REDIRECTED' = 4, 'ERROR' = 5),
    `drop_reason` Enum16('DROP_REASON_UNKNOWN' = 0, 'INVALID_PACKET' = 130, 'INVALID_SOURCE_IP' = 132, 'POLICY_DENIED' = 133, 'CT_MAP_FULL' = 155, 'POLICY_DENY' = 181, 'UNSUPPORTED_L3_PROTOCOL' = 139, 'PROXY_UNAVAILABLE' = 190),
    `event_type` Enum8('EVENT_TYPE_UNKNOWN' = 0, 'TRACE' = 1, 'DROP' = 2, 'POLICY_VERDICT' = 3, 'L7' = 4),
    `observation_point` Enum8('OBSERVATION_POINT_UNKNOWN' = 0, 'FROM_ENDPOINT' = 1, 'TO_ENDPOINT' = 2, 'TO_PROXY' = 3, 'FROM_PROXY' = 4, 'TO_STACK' = 5, 'FROM_HOST' = 6, 'TO_HOST' = 7, 'FROM_NETWORK' = 8, 'TO_NETWORK' = 9),
    `trace_reason` Enum8('TRACE_REASON_UNKNOWN' = 0, 'NEW' = 1, 'TCP_FLAGS' = 2, 'REPORT' = 3, 'PACKET' = 4),
    `traffic_direction` Enum8('TRAFFIC_DIRECTION_UNKNOWN' = 0, 'INGRESS' = 1, 'EGRESS' = 2),
    `is_reply` UInt8,
    `policy_match_type` Enum8('POLICY_MATCH_NONE' = 0, 'POLICY_MATCH_L3_ONLY' = 1, 'POLICY_MATCH_L3_L4' = 2, 'POLICY_MATCH_L4_ONLY' = 3, 'POLICY_MATCH_ALL' = 4),
    `policy_names` Array(LowCardinality(String)),
    `ip_version` Enum8('IP_NOT_USED' = 0, 'IPV4' = 1, 'IPV6' = 2),
    `src_ip` FixedString(16) CODEC(ZSTD(1)),
    `dst_ip` FixedString(16) CODEC(ZSTD(1)),
    `protocol` Enum16('NONE' = 0, 'ICMPv4' = 1, 'TCP' = 6, 'UDP' = 17, 'ICMPv6' = 58, 'SCTP' = 132),
    `src_port` UInt16 CODEC(ZSTD(1)),
    `dst_port` UInt16 CODEC(ZSTD(1)),
    `tcp_flags` UInt8,
    `icmp_type` UInt8,
    `icmp_code` UInt8,
    `src_endpoint` UInt32,
    `src_identity` UInt32 CODEC(T64, ZSTD(1)),
    `src_namespace` LowCardinality(String),
    `src_workload` LowCardinality(String),
    `src_labels` Array(LowCardinality(String)),
    `src_names` Array(LowCardinality(String)),
    `dst_endpoint` UInt32,
    `dst_identity` UInt32 CODEC(T64, ZSTD(1)),
    `dst_namespace` LowCardinality(String),
    `dst_workload` LowCardinality(String),
    `dst_labels` Array(LowCardinality(String)),
    `dst_names` Array(LowCardinality(String)),
    `packets` UInt64 CODEC(T64, ZSTD(1)),
    `bytes` UInt64 CODEC(T64, ZSTD(1)),
    `interface_index` UInt32,
    `interface_name` LowCardinality(String),
    `l7_type` Enum8('L7_TYPE_UNKNOWN' = 0, 'REQUEST' = 1, 'RESPONSE' = 2, 'SAMPLE' = 3),
    `l7_protocol` Enum8('NONE' = 0, 'HTTP' = 1, 'DNS' = 2, 'KAFKA' = 3),
    `l7_latency_ns` UInt64 CODEC(T64, ZSTD(1)),
    `http_code` UInt16,
    `http_method` LowCardinality(String),
    `http_url` String CODEC(ZSTD(1)),
    `http_protocol` LowCardinality(String),
    `http_header_names` Array(LowCardinality(String)),
    `http_header_values` Array(String) CODEC(ZSTD(1)),
    `dns_query` LowCardinality(String),
    `dns_ips` Array(String) CODEC(ZSTD(1)),
    `dns_ttl` UInt32,
    `dns_cnames` Array(LowCardinality(String)),
    `dns_rcode` UInt16,
    `dns_qtypes` Array(LowCardinality(String)),
    `dns_rrtypes` Array(LowCardinality(String)),
    `kafka_api_key` LowCardinality(String),
    `kafka_api_version` Int16,
    `kafka_error_code` Int16,
    `kafka_correlation_id` Int32,
    `kafka_topic` LowCardinality(String),
    `trace_id` String CODEC(ZSTD(1)),
    `parent_span_id` String CODEC(ZSTD(1))
) ENGINE = MergeTree()
PARTITION BY toYYYYMMDD(time)
ORDER BY (toStartOfFifteenMinutes(time), verdict, dst_namespace, dst_workload, src_namespace, src_workload, time)
TTL toDateTime(time) + INTERVAL 30 DAY
SETTINGS index_granularity = 8192;

CREATE TABLE IF NOT EXISTS edges_1m (
    `minute` DateTime('UTC') CODEC(DoubleDelta, ZSTD(1)),
    `src_namespace` LowCardinality(String),
    `src_service` LowCardinality(String),
    `dst_namespace` LowCardinality(String),
    `dst_service` LowCardinality(String),
    `protocol` Enum16('NONE' = 0, 'ICMPv4' = 1, 'TCP' = 6, 'UDP' = 17, 'ICMPv6' = 58, 'SCTP' = 132),
    `dst_port` UInt16,
    `verdict` Enum8('VERDICT_UNKNOWN' = 0, 'FORWARDED' = 1, 'DROPPED' = 2, 'AUDIT' = 3, 'REDIRECTED' = 4, 'ERROR' = 5),
    `flows` UInt64,
    `bytes_total` UInt64,
    `packets_total` UInt64
) ENGINE = SummingMergeTree()
PARTITION BY toYYYYMMDD(minute)
ORDER BY (minute, src_namespace, src_service, dst_namespace, dst_service, protocol, dst_port, verdict)
TTL toDateTime(minute) + INTERVAL 30 DAY
SETTINGS index_granularity = 8192;

CREATE MATERIALIZED VIEW IF NOT EXISTS edges_1m_mv TO edges_1m AS
SELECT toStartOfMinute(time) AS minute, src_namespace AS src_namespace, if(src_workload != '', src_workload, arrayStringConcat(src_labels, ',')) AS src_service, dst_namespace AS dst_namespace, if(dst_workload != '', dst_workload, arrayStringConcat(dst_labels, ',')) AS dst_service, protocol AS protocol, dst_port AS dst_port, verdict AS verdict, count() AS flows, sum(bytes) AS bytes_total, sum(packets) AS packets_total
FROM flows
WHERE is_reply = 0 AND l7_protocol = 'NONE'
GROUP BY minute, src_namespace, src_service, dst_namespace, dst_service, protocol, dst_port, verdict;

CREATE TABLE IF NOT EXISTS drops_1m (
    `minute` DateTime('UTC') CODEC(DoubleDelta, ZSTD(1)),
    `node_name` LowCardinality(String),
    `drop_reason` Enum16('DROP_REASON_UNKNOWN' = 0, 'INVALID_PACKET' = 130, 'INVALID_SOURCE_IP' = 132, 'POLICY_DENIED' = 133, 'CT_MAP_FULL' = 155, 'POLICY_DENY' = 181, 'UNSUPPORTED_L3_PROTOCOL' = 139, 'PROXY_UNAVAILABLE' = 190),
    `traffic_direction` Enum8('TRAFFIC_DIRECTION_UNKNOWN' = 0, 'INGRESS' = 1, 'EGRESS' = 2),
    `src_namespace` LowCardinality(String),
    `src_service` LowCardinality(String),
    `dst_namespace` LowCardinality(String),
    `dst_service` LowCardinality(String),
    `protocol` Enum16('NONE' = 0, 'ICMPv4' = 1, 'TCP' = 6, 'UDP' = 17, 'ICMPv6' = 58, 'SCTP' = 132),
    `dst_port` UInt16,
    `flows` UInt64
) ENGINE = SummingMergeTree()
PARTITION BY toYYYYMMDD(minute)
ORDER BY (minute, node_name, drop_reason, traffic_direction, src_namespace, src_service, dst_namespace, dst_service, protocol, dst_port)
TTL toDateTime(minute) + INTERVAL 30 DAY
SETTINGS index_granularity = 8192;

CREATE MATERIALIZED VIEW IF NOT EXISTS drops_1m_mv TO drops_1m AS
SELECT toStartOfMinute(time) AS minute, node_name AS node_name, drop_reason AS drop_reason, traffic_direction AS traffic_direction, src_namespace AS src_namespace, if(src_workload != '', src_workload, arrayStringConcat(src_labels, ',')) AS src_service, dst_namespace AS dst_namespace, if(dst_workload != '', dst_workload, arrayStringConcat(dst_labels, ',')) AS dst_service, protocol AS protocol, dst_port AS dst_port, count() AS flows
FROM flows
WHERE verdict = 'DROPPED'
GROUP BY minute, node_name, drop_reason, traffic_direction, src_namespace, src_service, dst_namespace, dst_service, protocol, dst_port;

CREATE TABLE IF NOT EXISTS l7_1m (
    `minute` DateTime('UTC') CODEC(DoubleDelta, ZSTD(1)),
    `l7_protocol` Enum8('NONE' = 0, 'HTTP' = 1, 'DNS' = 2, 'KAFKA' = 3),
    `l7_type` Enum8('L7_TYPE_UNKNOWN' = 0, 'REQUEST' = 1, 'RESPONSE' = 2, 'SAMPLE' = 3),
    `verdict` Enum8('VERDICT_UNKNOWN' = 0, 'FORWARDED' = 1, 'DROPPED' = 2, 'AUDIT' = 3, 'REDIRECTED' = 4, 'ERROR' = 5),
    `src_namespace` LowCardinality(String),
    `src_service` LowCardinality(String),
    `dst_namespace` LowCardinality(String),
    `dst_service` LowCardinality(String),
    `http_method` LowCardinality(String),
    `http_code` UInt16,
    `dns_query` LowCardinality(String),
    `dns_rcode` UInt16,
    `kafka_topic` LowCardinality(String),
    `kafka_error_code` Int16,
    `flows` AggregateFunction(count),
    `latency` AggregateFunction(quantilesTDigest(0.5, 0.95, 0.99), UInt64)
) ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMMDD(minute)
ORDER BY (minute, l7_protocol, l7_type, verdict, src_namespace, src_service, dst_namespace, dst_service, http_method, http_code, dns_query, dns_rcode, kafka_topic, kafka_error_code)
TTL toDateTime(minute) + INTERVAL 30 DAY
SETTINGS index_granularity = 8192;

CREATE MATERIALIZED VIEW IF NOT EXISTS l7_1m_mv TO l7_1m AS
SELECT toStartOfMinute(time) AS minute, l7_protocol AS l7_protocol, l7_type AS l7_type, verdict AS verdict, src_namespace AS src_namespace, if(src_workload != '', src_workload, arrayStringConcat(src_labels, ',')) AS src_service, dst_namespace AS dst_namespace, if(dst_workload != '', dst_workload, arrayStringConcat(dst_labels, ',')) AS dst_service, http_method AS http_method, http_code AS http_code, dns_query AS dns_query, dns_rcode AS dns_rcode, kafka_topic AS kafka_topic, kafka_error_code AS kafka_error_code, countState() AS flows, quantilesTDigestState(0.5, 0.95, 0.99)(l7_latency_ns) AS latency
FROM flows
WHERE l7_protocol != 'NONE'
GROUP BY minute, l7_protocol, l7_type, verdict, src_namespace, src_service, dst_namespace, dst_service, http_method, http_code, dns_query, dns_rcode, kafka_topic, kafka_error_code;

CREATE TABLE IF NOT EXISTS edges_1h (
    `minute` DateTime('UTC') CODEC(DoubleDelta, ZSTD(1)),
    `src_namespace` LowCardinality(String),
    `src_service` LowCardinality(String),
    `dst_namespace` LowCardinality(String),
    `dst_service` LowCardinality(String),
    `protocol` Enum16('NONE' = 0, 'ICMPv4' = 1, 'TCP' = 6, 'UDP' = 17, 'ICMPv6' = 58, 'SCTP' = 132),
    `dst_port` UInt16,
    `verdict` Enum8('VERDICT_UNKNOWN' = 0, 'FORWARDED' = 1, 'DROPPED' = 2, 'AUDIT' = 3, 'REDIRECTED' = 4, 'ERROR' = 5),
    `flows` UInt64,
    `bytes_total` UInt64,
    `packets_total` UInt64
) ENGINE = SummingMergeTree()
PARTITION BY toYYYYMMDD(minute)
ORDER BY (minute, src_namespace, src_service, dst_namespace, dst_service, protocol, dst_port, verdict)
TTL toDateTime(minute) + INTERVAL 30 DAY
SETTINGS index_granularity = 8192;

CREATE MATERIALIZED VIEW IF NOT EXISTS edges_1h_mv TO edges_1h AS
SELECT toStartOfHour(time) AS minute, src_namespace AS src_namespace, if(src_workload != '', src_workload, arrayStringConcat(src_labels, ',')) AS src_service, dst_namespace AS dst_namespace, if(dst_workload != '', dst_workload, arrayStringConcat(dst_labels, ',')) AS dst_service, protocol AS protocol, dst_port AS dst_port, verdict AS verdict, count() AS flows, sum(bytes) AS bytes_total, sum(packets) AS packets_total
FROM flows
WHERE is_reply = 0 AND l7_protocol = 'NONE'
GROUP BY minute, src_namespace, src_service, dst_namespace, dst_service, protocol, dst_port, verdict;

ALTER TABLE flows ADD COLUMN `span_id` String CODEC(ZSTD(1)) AFTER parent_span_id;

ALTER TABLE flows MODIFY COLUMN drop_reason Enum16('DROP_REASON_UNKNOWN' = 0, 'INVALID_PACKET' = 130, 'INVALID_SOURCE_IP' = 132, 'POLICY_DENIED' = 133, 'CT_MAP_FULL' = 155, 'POLICY_DENY' = 181, 'UNSUPPORTED_L3_PROTOCOL' = 139, 'PROXY_UNAVAILABLE' = 190);

ALTER TABLE drops_1m MODIFY COLUMN drop_reason Enum16('DROP_REASON_UNKNOWN' = 0, 'INVALID_PACKET' = 130, 'INVALID_SOURCE_IP' = 132, 'POLICY_DENIED' = 133, 'CT_MAP_FULL' = 155, 'POLICY_DENY' = 181, 'UNSUPPORTED_L3_PROTOCOL' = 139, 'PROXY_UNAVAILABLE' = 190);

