CREATE TABLE IF NOT EXISTS flows (
    `time` DateTime('UTC'),
    `time_ns` UInt64,
    `id` UInt64,
    `node_name` String,
    `verdict` Enum8('VERDICT_UNKNOWN' = 0, 'FORWARDED' = 1, 'DROPPED' = 2, 'AUDIT' = 3, 'REDIRECTED' = 4, 'ERROR' = 5),
    `drop_reason` Enum16('DROP_REASON_UNKNOWN' = 0, 'INVALID_PACKET' = 130, 'INVALID_SOURCE_IP' = 132, 'POLICY_DENIED' = 133, 'CT_MAP_FULL' = 155, 'POLICY_DENY' = 181, 'UNSUPPORTED_L3_PROTOCOL' = 139),
    `event_type` Enum8('EVENT_TYPE_UNKNOWN' = 0, 'TRACE' = 1, 'DROP' = 2, 'POLICY_VERDICT' = 3, 'L7' = 4),
    `observation_point` Enum8('OBSERVATION_POINT_UNKNOWN' = 0, 'FROM_ENDPOINT' = 1, 'TO_ENDPOINT' = 2, 'TO_PROXY' = 3, 'FROM_PROXY' = 4, 'TO_STACK' = 5, 'FROM_HOST' = 6, 'TO_HOST' = 7, 'FROM_NETWORK' = 8, 'TO_NETWORK' = 9),
    `trace_reason` Enum8('TRACE_REASON_UNKNOWN' = 0, 'NEW' = 1, 'TCP_FLAGS' = 2, 'REPORT' = 3, 'PACKET' = 4),
    `traffic_direction` Enum8('TRAFFIC_DIRECTION_UNKNOWN' = 0, 'INGRESS' = 1, 'EGRESS' = 2),
    `is_reply` UInt8,
    `policy_match_type` Enum8('POLICY_MATCH_NONE' = 0, 'POLICY_MATCH_L3_ONLY' = 1, 'POLICY_MATCH_L3_L4' = 2, 'POLICY_MATCH_L4_ONLY' = 3, 'POLICY_MATCH_ALL' = 4),
    `policy_names` Array(String),
    `ip_version` Enum8('IP_NOT_USED' = 0, 'IPV4' = 1, 'IPV6' = 2),
    `src_ip` FixedString(16),
    `dst_ip` FixedString(16),
    `protocol` Enum16('NONE' = 0, 'ICMPv4' = 1, 'TCP' = 6, 'UDP' = 17, 'ICMPv6' = 58, 'SCTP' = 132),
    `src_port` UInt16,
    `dst_port` UInt16,
    `tcp_flags` UInt8,
    `icmp_type` UInt8,
    `icmp_code` UInt8,
    `src_endpoint` UInt32,
    `src_identity` UInt32,
    `src_namespace` String,
    `src_workload` String,
    `src_labels` Array(String),
    `src_names` Array(String),
    `dst_endpoint` UInt32,
    `dst_identity` UInt32,
    `dst_namespace` String,
    `dst_workload` String,
    `dst_labels` Array(String),
    `dst_names` Array(String),
    `packets` UInt64,
    `bytes` UInt64,
    `interface_index` UInt32,
    `interface_name` String,
    `l7_type` Enum8('L7_TYPE_UNKNOWN' = 0, 'REQUEST' = 1, 'RESPONSE' = 2, 'SAMPLE' = 3),
    `l7_protocol` Enum8('NONE' = 0, 'HTTP' = 1, 'DNS' = 2, 'KAFKA' = 3),
    `l7_latency_ns` UInt64,
    `http_code` UInt16,
    `http_method` String,
    `http_url` String,
    `http_protocol` String,
    `http_header_names` Array(String),
    `http_header_values` Array(String),
    `dns_query` String,
    `dns_ips` Array(String),
    `dns_ttl` UInt32,
    `dns_cnames` Array(String),
    `dns_rcode` UInt16,
    `dns_qtypes` Array(String),
    `dns_rrtypes` Array(String),
    `kafka_api_key` String,
    `kafka_api_version` Int16,
    `kafka_error_code` Int16,
    `kafka_correlation_id` Int32,
    `kafka_topic` String,
    `trace_id` String,
    `parent_span_id` String
) ENGINE = MergeTree()
PARTITION BY toYYYYMMDD(time)
ORDER BY (toStartOfFifteenMinutes(time), verdict, dst_namespace, dst_workload, src_namespace, src_workload, time_ns)
SETTINGS index_granularity = 8192;

CREATE TABLE IF NOT EXISTS edges_1m (
    `minute` DateTime('UTC'),
    `src_namespace` String,
    `src_service` String,
    `dst_namespace` String,
    `dst_service` String,
    `protocol` Enum16('NONE' = 0, 'ICMPv4' = 1, 'TCP' = 6, 'UDP' = 17, 'ICMPv6' = 58, 'SCTP' = 132),
    `dst_port` UInt16,
    `verdict` Enum8('VERDICT_UNKNOWN' = 0, 'FORWARDED' = 1, 'DROPPED' = 2, 'AUDIT' = 3, 'REDIRECTED' = 4, 'ERROR' = 5),
    `flows` UInt64,
    `bytes_total` UInt64,
    `packets_total` UInt64
) ENGINE = SummingMergeTree()
PARTITION BY toYYYYMMDD(minute)
ORDER BY (minute, src_namespace, src_service, dst_namespace, dst_service, protocol, dst_port, verdict)
SETTINGS index_granularity = 8192;

CREATE MATERIALIZED VIEW IF NOT EXISTS edges_1m_mv TO edges_1m AS
SELECT toStartOfMinute(time) AS minute, src_namespace AS src_namespace, if(src_workload != '', src_workload, arrayStringConcat(src_labels, ',')) AS src_service, dst_namespace AS dst_namespace, if(dst_workload != '', dst_workload, arrayStringConcat(dst_labels, ',')) AS dst_service, protocol AS protocol, dst_port AS dst_port, verdict AS verdict, count() AS flows, sum(bytes) AS bytes_total, sum(packets) AS packets_total
FROM flows
WHERE is_reply = 0 AND l7_protocol = 'NONE'
GROUP BY minute, src_namespace, src_service, dst_namespace, dst_service, protocol, dst_port, verdict;

CREATE TABLE IF NOT EXISTS drops_1m (
    `minute` DateTime('UTC'),
    `node_name` String,
    `drop_reason` Enum16('DROP_REASON_UNKNOWN' = 0, 'INVALID_PACKET' = 130, 'INVALID_SOURCE_IP' = 132, 'POLICY_DENIED' = 133, 'CT_MAP_FULL' = 155, 'POLICY_DENY' = 181, 'UNSUPPORTED_L3_PROTOCOL' = 139),
    `traffic_direction` Enum8('TRAFFIC_DIRECTION_UNKNOWN' = 0, 'INGRESS' = 1, 'EGRESS' = 2),
    `src_namespace` String,
    `src_service` String,
    `dst_namespace` String,
    `dst_service` String,
    `protocol` Enum16('NONE' = 0, 'ICMPv4' = 1, 'TCP' = 6, 'UDP' = 17, 'ICMPv6' = 58, 'SCTP' = 132),
    `dst_port` UInt16,
    `flows` UInt64
) ENGINE = SummingMergeTree()
PARTITION BY toYYYYMMDD(minute)
ORDER BY (minute, node_name, drop_reason, traffic_direction, src_namespace, src_service, dst_namespace, dst_service, protocol, dst_port)
SETTINGS index_granularity = 8192;

CREATE MATERIALIZED VIEW IF NOT EXISTS drops_1m_mv TO drops_1m AS
SELECT toStartOfMinute(time) AS minute, node_name AS node_name, drop_reason AS drop_reason, traffic_direction AS traffic_direction, src_namespace AS src_namespace, if(src_workload != '', src_workload, arrayStringConcat(src_labels, ',')) AS src_service, dst_namespace AS dst_namespace, if(dst_workload != '', dst_workload, arrayStringConcat(dst_labels, ',')) AS dst_service, protocol AS protocol, dst_port AS dst_port, count() AS flows
FROM flows
WHERE verdict = 'DROPPED'
GROUP BY minute, node_name, drop_reason, traffic_direction, src_namespace, src_service, dst_namespace, dst_service, protocol, dst_port;

CREATE TABLE IF NOT EXISTS l7_1m (
    `minute` DateTime('UTC'),
    `l7_protocol` Enum8('NONE' = 0, 'HTTP' = 1, 'DNS' = 2, 'KAFKA' = 3),
    `l7_type` Enum8('L7_TYPE_UNKNOWN' = 0, 'REQUEST' = 1, 'RESPONSE' = 2, 'SAMPLE' = 3),
    `verdict` Enum8('VERDICT_UNKNOWN' = 0, 'FORWARDED' = 1, 'DROPPED' = 2, 'AUDIT' = 3, 'REDIRECTED' = 4, 'ERROR' = 5),
    `src_namespace` String,
    `src_service` String,
    `dst_namespace` String,
    `dst_service` String,
    `http_method` String,
    `http_code` UInt16,
    `dns_query` String,
    `dns_rcode` UInt16,
    `kafka_topic` String,
    `kafka_error_code` Int16,
    `flows` AggregateFunction(count),
    `latency` AggregateFunction(quantilesTDigest(0.5, 0.95, 0.99), UInt64)
) ENGINE = AggregatingMergeTree()
PARTITION BY toYYYYMMDD(minute)
ORDER BY (minute, l7_protocol, l7_type, verdict, src_namespace, src_service, dst_namespace, dst_service, http_method, http_code, dns_query, dns_rcode, kafka_topic, kafka_error_code)
SETTINGS index_granularity = 8192;

CREATE MATERIALIZED VIEW IF NOT EXISTS l7_1m_mv TO l7_1m AS
SELECT toStartOfMinute(time) AS minute, l7_protocol AS l7_protocol, l7_type AS l7_type, verdict AS verdict, src_namespace AS src_namespace, if(src_workload != '', src_workload, arrayStringConcat(src_labels, ',')) AS src_service, dst_namespace AS dst_namespace, if(dst_workload != '', dst_workload, arrayStringConcat(dst_labels, ',')) AS dst_service, http_method AS http_method, http_code AS http_code, dns_query AS dns_query, dns_rcode AS dns_rcode, kafka_topic AS kafka_topic, kafka_error_code AS kafka_error_code, countState() AS flows, quantilesTDigestState(0.5, 0.95, 0.99)(l7_latency_ns) AS latency
FROM flows
WHERE l7_protocol != 'NONE'
GROUP BY minute, l7_protocol, l7_type, verdict, src_namespace, src_service, dst_namespace, dst_service, http_method, http_code, dns_query, dns_rcode, kafka_topic, kafka_error_code;

CREATE TABLE IF NOT EXISTS edges_1h (
    `minute` DateTime('UTC'),
    `src_namespace` String,
    `src_service` String,
    `dst_namespace` String,
    `dst_service` String,
    `protocol` Enum16('NONE' = 0, 'ICMPv4' = 1, 'TCP' = 6, 'UDP' = 17, 'ICMPv6' = 58, 'SCTP' = 132),
    `dst_port` UInt16,
    `verdict` Enum8('VERDICT_UNKNOWN' = 0, 'FORWARDED' = 1, 'DROPPED' = 2, 'AUDIT' = 3, 'REDIRECTED' = 4, 'ERROR' = 5),
    `flows` UInt64,
    `bytes_total` UInt64,
    `packets_total` UInt64
) ENGINE = SummingMergeTree()
PARTITION BY toYYYYMMDD(minute)
ORDER BY (minute, src_namespace, src_service, dst_namespace, dst_service, protocol, dst_port, verdict)
SETTINGS index_granularity = 8192;

CREATE MATERIALIZED VIEW IF NOT EXISTS edges_1h_mv TO edges_1h AS
SELECT toStartOfHour(time) AS minute, src_namespace AS src_namespace, if(src_workload != '', src_workload, arrayStringConcat(src_labels, ',')) AS src_service, dst_namespace AS dst_namespace, if(dst_workload != '', dst_workload, arrayStringConcat(dst_labels, ',')) AS dst_service, protocol AS protocol, dst_port AS dst_port, verdict AS verdict, count() AS flows, sum(bytes) AS bytes_total, sum(packets) AS packets_total
FROM flows
WHERE is_reply = 0 AND l7_protocol = 'NONE'
GROUP BY minute, src_namespace, src_service, dst_namespace, dst_service, protocol, dst_port, verdict;

