import FraudScreenCore
import NIOCore

/// Writes answer lines (docs/PROTOCOL.md): one JSON object and a newline per answer, `id` first, written
/// straight from the values with `JSONWriter` (no `Encodable`, stable member order).
enum AnswerEncoder {
    private static func begin(_ id: [UInt8]?) -> JSONWriter {
        var json = JSONWriter(reservingCapacity: 4_096)  // a flagged verdict with advice runs to 2–3 KB
        open(&json, id)
        return json
    }

    private static func open(_ json: inout JSONWriter, _ id: [UInt8]?) {
        json.beginObject()
        json.key(static: "id")
        if let id { json.raw(id) } else { json.null() }
    }

    private static func finish(_ json: inout JSONWriter, into buffer: inout ByteBuffer) {
        json.endObject()
        json.withBytes { _ = buffer.writeBytes($0) }
        buffer.writeInteger(UInt8(ascii: "\n"))
    }

    /// A verdict, with the report id when the request was a report.
    static func verdict(id: [UInt8]?, _ verdict: Verdict, elapsedMicros: Int, reportID: String? = nil, into buffer: inout ByteBuffer) {
        var json = begin(id)
        writeVerdict(verdict, elapsedMicros: elapsedMicros, reportID: reportID, to: &json)
        finish(&json, into: &buffer)
    }

    /// A verdict written with `scratch`, a writer the caller keeps from answer to answer (one per event
    /// loop): no allocation per answer.
    static func verdict(id: [UInt8]?, _ verdict: Verdict, elapsedMicros: Int, scratch: inout JSONWriter, into buffer: inout ByteBuffer) {
        scratch.reset()
        open(&scratch, id)
        writeVerdict(verdict, elapsedMicros: elapsedMicros, reportID: nil, to: &scratch)
        finish(&scratch, into: &buffer)
        // A huge verdict is not kept around.
        if scratch.reservedCapacity > 65_536 { scratch = JSONWriter(reservingCapacity: 4_096) }
    }

    private static func writeVerdict(_ verdict: Verdict, elapsedMicros: Int, reportID: String?, to json: inout JSONWriter) {
        verdict.writeMembers(to: &json)
        if let reportID { json.member("report_id", reportID) }
        json.member("elapsed_us", elapsedMicros)
    }

    static func error(id: [UInt8]?, _ error: ProtocolError, into buffer: inout ByteBuffer) {
        var json = begin(id)
        json.beginObject(key: "error")
        json.field("code", error.code.rawValue)
        json.field("message", error.message)
        json.endObject()
        finish(&json, into: &buffer)
    }

    static func ping(id: [UInt8]?, rulesVersion: String, into buffer: inout ByteBuffer) {
        var json = begin(id)
        json.field("ok", true)
        json.field("rules_version", rulesVersion)
        finish(&json, into: &buffer)
    }

    static func stats(id: [UInt8]?, _ snapshot: StatisticsSnapshot, format: Request.StatsFormat, into buffer: inout ByteBuffer) {
        var json = begin(id)
        switch format {
        case .json:
            json.beginObject(key: "stats")
            snapshot.writeMembers(to: &json)
            json.endObject()
        case .prometheus:
            json.field("prometheus", snapshot.prometheusText)
        }
        finish(&json, into: &buffer)
    }

    static func reloaded(id: [UInt8]?, _ outcome: ReloadOutcome, into buffer: inout ByteBuffer) {
        var json = begin(id)
        json.field("reloaded", true)
        json.field("rules_version", outcome.version)
        json.field("previous_version", outcome.previousVersion)
        json.field("rules", outcome.ruleCount)
        json.field("elapsed_ms", outcome.elapsedMilliseconds)
        finish(&json, into: &buffer)
    }

    /// The line stored for a report: readable by the corpus reader (`id`, `label`, `category`,
    /// `message.text`) and complete enough for a rule author to see what the daemon answered then.
    static func reportRecord(reportID: String, requestID: [UInt8]?, report: Request.Report, peer: PeerCredentials?,
                             receivedAt: String, verdict: Verdict) -> [UInt8] {
        var json = JSONWriter(reservingCapacity: 2_048)
        json.beginObject()
        json.field("id", reportID)
        json.field("label", report.label)
        json.field("category", report.category)
        json.field("reporter", report.reporter)
        json.field("received_at", receivedAt)
        json.key("request_id")
        if let requestID { json.raw(requestID) } else { json.null() }
        if let peer { json.field("peer_uid", Int(peer.uid)) }
        json.beginObject(key: "message")
        json.field("text", report.message.text)
        json.field("channel", report.message.channel)
        json.field("sender", report.message.sender)
        json.endObject()
        json.beginObject(key: "verdict")
        verdict.writeMembers(to: &json)
        json.endObject()
        json.endObject()
        return json.bytes
    }
}
