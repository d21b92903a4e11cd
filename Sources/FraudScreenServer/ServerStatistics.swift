import FraudScreenCore

/// Counters of one event loop. Touched only on that loop, so counting costs plain increments; `stats`
/// collects a copy from every loop and merges them (`StatisticsSnapshot`).
struct LoopStatistics: Sendable {
    enum Kind: Int, CaseIterable, Sendable {
        case screenMessage, screenTransaction, report, ping, stats, reload, invalid
        var label: String {
            switch self {
            case .screenMessage: "screen_message"
            case .screenTransaction: "screen_transaction"
            case .report: "report"
            case .ping: "ping"
            case .stats: "stats"
            case .reload: "reload"
            case .invalid: "invalid"
            }
        }
    }

    var requests = [UInt64](repeating: 0, count: Kind.allCases.count)
    var verdicts = [UInt64](repeating: 0, count: Verdict.Decision.allCases.count)
    var errors = [UInt64](repeating: 0, count: ErrorCode.allCases.count)
    var latency = LatencyHistogram()
    var regexLimitHits: UInt64 = 0
    var reportsStored: UInt64 = 0

    mutating func count(_ kind: Kind) { requests[kind.rawValue] += 1 }

    mutating func count(_ decision: Verdict.Decision) {
        switch decision {
        case .allow: verdicts[0] += 1
        case .warn: verdicts[1] += 1
        case .block: verdicts[2] += 1
        }
    }

    mutating func count(_ code: ErrorCode) {
        errors[ErrorCode.allCases.firstIndex(of: code)!] += 1
    }

    mutating func merge(_ other: LoopStatistics) {
        for i in requests.indices { requests[i] += other.requests[i] }
        for i in verdicts.indices { verdicts[i] += other.verdicts[i] }
        for i in errors.indices { errors[i] += other.errors[i] }
        latency.merge(other.latency)
        regexLimitHits += other.regexLimitHits
        reportsStored += other.reportsStored
    }
}

/// Everything `stats` reports: merged loop counters plus the daemon-wide state.
struct StatisticsSnapshot: Sendable {
    var loops = LoopStatistics()
    var uptimeSeconds: Double = 0
    var rulesVersion = ""
    var rulesLoadedAt = ""
    var rules = 0
    var openConnections = 0
    var totalConnections: UInt64 = 0
    var refusedConnections: UInt64 = 0
    var reloadsSucceeded: UInt64 = 0
    var reloadsFailed: UInt64 = 0
    var lastReloadError: String?

    /// Writes the members of the `stats` answer (docs/PROTOCOL.md).
    func writeMembers(to json: inout JSONWriter) {
        json.field("uptime_s", Int(uptimeSeconds))
        json.field("rules_version", rulesVersion)
        json.field("rules_loaded_at", rulesLoadedAt)
        json.field("rules", rules)
        json.beginObject(key: "connections")
        json.field("open", openConnections)
        json.field("total", Int(totalConnections))
        json.field("refused", Int(refusedConnections))
        json.endObject()
        json.beginObject(key: "requests")
        var total: UInt64 = 0
        for kind in LoopStatistics.Kind.allCases {
            json.field(kind.label, Int(loops.requests[kind.rawValue]))
            total += loops.requests[kind.rawValue]
        }
        json.field("total", Int(total))
        json.endObject()
        json.beginObject(key: "verdicts")
        for (i, decision) in Verdict.Decision.allCases.enumerated() { json.field(decision.rawValue, Int(loops.verdicts[i])) }
        json.endObject()
        json.beginObject(key: "errors")
        for (i, code) in ErrorCode.allCases.enumerated() { json.field(code.rawValue, Int(loops.errors[i])) }
        json.endObject()
        json.beginObject(key: "latency_us")
        json.field("p50", Int(loops.latency.percentile(0.5)))
        json.field("p90", Int(loops.latency.percentile(0.9)))
        json.field("p99", Int(loops.latency.percentile(0.99)))
        json.field("p999", Int(loops.latency.percentile(0.999)))
        json.field("max", Int(loops.latency.maximum))
        json.field("count", Int(loops.latency.total))
        json.endObject()
        json.beginObject(key: "reloads")
        json.field("succeeded", Int(reloadsSucceeded))
        json.field("failed", Int(reloadsFailed))
        json.field("last_error", lastReloadError)
        json.endObject()
        json.field("reports_stored", Int(loops.reportsStored))
        json.field("regex_limit_hits", Int(loops.regexLimitHits))
    }

    /// The same figures in the Prometheus text exposition format (version 0.0.4).
    var prometheusText: String {
        var out = ""
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(String, String)]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for (labels, value) in samples { out += "\(name)\(labels) \(value)\n" }
        }
        metric("fraudscreen_requests_total", "counter", "Requests answered, by operation.",
               LoopStatistics.Kind.allCases.map { ("{op=\"\($0.label)\"}", "\(loops.requests[$0.rawValue])") })
        metric("fraudscreen_verdicts_total", "counter", "Verdicts given, by decision.",
               Verdict.Decision.allCases.enumerated().map { ("{verdict=\"\($1.rawValue)\"}", "\(loops.verdicts[$0])") })
        metric("fraudscreen_errors_total", "counter", "Error answers, by code.",
               ErrorCode.allCases.enumerated().map { ("{code=\"\($1.rawValue)\"}", "\(loops.errors[$0])") })
        let quantiles: [(String, Double)] = [("0.5", 0.5), ("0.9", 0.9), ("0.99", 0.99), ("0.999", 0.999)]
        var latency = quantiles.map { ("{quantile=\"\($0.0)\"}", "\(Double(loops.latency.percentile($0.1)) / 1e6)") }
        latency.append(("_sum", "\(Double(loops.latency.sum) / 1e6)"))
        latency.append(("_count", "\(loops.latency.total)"))
        out += "# HELP fraudscreen_request_duration_seconds Time from reading a screen, report or ping request to its answer (stats and reload are not timed).\n"
        out += "# TYPE fraudscreen_request_duration_seconds summary\n"
        for (suffix, value) in latency { out += "fraudscreen_request_duration_seconds\(suffix) \(value)\n" }
        metric("fraudscreen_connections_open", "gauge", "Open client connections.", [("", "\(openConnections)")])
        metric("fraudscreen_connections_total", "counter", "Client connections accepted.", [("", "\(totalConnections)")])
        metric("fraudscreen_connections_refused_total", "counter", "Connections refused at max_connections.", [("", "\(refusedConnections)")])
        metric("fraudscreen_reloads_total", "counter", "Rule-set reloads, by result.",
               [("{result=\"succeeded\"}", "\(reloadsSucceeded)"), ("{result=\"failed\"}", "\(reloadsFailed)")])
        metric("fraudscreen_reports_stored_total", "counter", "Reports stored durably.", [("", "\(loops.reportsStored)")])
        metric("fraudscreen_regex_limit_hits_total", "counter", "Regex matches abandoned at the PCRE2 limits.", [("", "\(loops.regexLimitHits)")])
        metric("fraudscreen_rules_info", "gauge", "The rule set serving (version label).", [("{version=\"\(rulesVersion)\"}", "1")])
        metric("fraudscreen_uptime_seconds", "gauge", "Seconds since the daemon started.", [("", "\(Int(uptimeSeconds))")])
        return out
    }
}
