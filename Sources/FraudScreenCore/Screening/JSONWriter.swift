/// A minimal streaming JSON writer into a byte buffer. Verdicts are written on the hot path of the daemon;
/// writing them directly costs a fraction of going through `Encodable` and keeps key order stable.
public struct JSONWriter {
    public private(set) var bytes: [UInt8] = []
    /// Per open container, one bit: whether the next member needs a comma (bit 0 is the innermost). Bits
    /// instead of a stack of Bools: pushing and popping an array cost more than writing most values.
    private var commaBits: UInt64 = 0
    private var depth = 0
    private var afterKey = false

    public init(reservingCapacity capacity: Int = 512) {
        bytes.reserveCapacity(capacity)
    }

    public var string: String { String(decoding: bytes, as: UTF8.self) }

    private mutating func beforeValue() {
        if afterKey {
            afterKey = false
        } else if depth > 0 {
            if commaBits & 1 != 0 { bytes.append(UInt8(ascii: ",")) }
            commaBits |= 1
        }
    }

    private mutating func open(_ bracket: UInt8) {
        beforeValue()
        bytes.append(bracket)
        precondition(depth < 64, "JSON nested deeper than 64 levels")
        depth += 1
        commaBits <<= 1
    }

    private mutating func close(_ bracket: UInt8) {
        depth -= 1
        commaBits >>= 1
        bytes.append(bracket)
    }

    public mutating func beginObject() { open(UInt8(ascii: "{")) }
    public mutating func endObject() { close(UInt8(ascii: "}")) }
    public mutating func beginArray() { open(UInt8(ascii: "[")) }
    public mutating func endArray() { close(UInt8(ascii: "]")) }
    public mutating func beginObject(key name: String) { key(name); beginObject() }
    public mutating func beginArray(key name: String) { key(name); beginArray() }

    /// Writes `"name":` inside an object; the value written next belongs to it.
    public mutating func key(_ name: String) {
        if commaBits & 1 != 0 { bytes.append(UInt8(ascii: ",")) }
        commaBits |= 1
        appendQuoted(name)
        bytes.append(UInt8(ascii: ":"))
        afterKey = true
    }

    public mutating func value(_ s: String) { beforeValue(); appendQuoted(s) }
    public mutating func value(_ n: Int) { beforeValue(); appendDecimal(n) }
    public mutating func value(_ b: Bool) { beforeValue(); bytes.append(contentsOf: (b ? "true" : "false").utf8) }
    public mutating func null() { beforeValue(); bytes.append(contentsOf: "null".utf8) }
    /// A complete JSON value written as given.
    public mutating func raw(_ json: [UInt8]) { beforeValue(); bytes.append(contentsOf: json) }

    public mutating func field(_ name: String, _ s: String) { key(name); value(s) }
    public mutating func field(_ name: String, _ n: Int) { key(name); value(n) }
    public mutating func field(_ name: String, _ b: Bool) { key(name); value(b) }
    public mutating func field(_ name: String, _ s: String?) { key(name); if let s { value(s) } else { null() } }

    /// Digits written straight into the buffer (no intermediate `String`).
    private mutating func appendDecimal(_ n: Int) {
        if n < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = n.magnitude
        if magnitude < 10 { bytes.append(UInt8(48 + magnitude)); return }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var k = 20
            while magnitude > 0 {
                k -= 1
                digits[k] = UInt8(48 + magnitude % 10)
                magnitude /= 10
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: digits[k..<20]))
        }
    }

    private mutating func appendQuoted(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { utf8 in
            // Copy runs that need no escaping in one go: appending byte by byte was a quarter of the daemon's
            // time per answer.
            var runStart = 0
            for i in 0..<utf8.count {
                let byte = utf8[i]
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<i]))
                runStart = i + 1
                switch byte {
                case UInt8(ascii: "\""): bytes.append(92); bytes.append(34)
                case UInt8(ascii: "\\"): bytes.append(92); bytes.append(92)
                case 0x0A: bytes.append(92); bytes.append(UInt8(ascii: "n"))
                case 0x0D: bytes.append(92); bytes.append(UInt8(ascii: "r"))
                case 0x09: bytes.append(92); bytes.append(UInt8(ascii: "t"))
                default:
                    let hex = JSONWriter.hexDigits
                    bytes.append(contentsOf: [92, UInt8(ascii: "u"), 48, 48, hex[Int(byte >> 4)], hex[Int(byte & 15)]])
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<utf8.count]))
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
}

extension Verdict {
    /// Writes the verdict's members (without braces) into an open object, so a caller can add its own (id,
    /// elapsed time) around them. The shape is documented in docs/PROTOCOL.md.
    public func writeMembers(to json: inout JSONWriter) {
        json.field("verdict", decision.rawValue)
        json.field("score", score)
        json.field("category", category?.id)
        json.field("category_name", category?.name)
        json.beginObject(key: "category_scores")
        for (id, value) in categoryScores { json.field(id, value) }
        json.endObject()
        json.beginArray(key: "hits")
        for hit in hits {
            json.beginObject()
            json.field("rule", hit.ruleID)
            json.field("category", hit.category)
            json.field("score", hit.score)
            json.field("description", hit.description)
            json.beginArray(key: "evidence")
            for e in hit.evidence {
                json.beginObject()
                json.field("field", e.field)
                json.field("start", e.span.start)
                json.field("end", e.span.end)
                json.field("text", e.text)
                json.field("source", e.source.rawValue)
                json.field("evasive", e.evasive)
                json.endObject()
            }
            json.endArray()
            json.endObject()
        }
        json.endArray()
        json.beginArray(key: "entities")
        for found in entities {
            json.beginObject()
            json.field("field", found.field)
            json.field("type", found.entity.kind.rawValue)
            if let subkind = found.entity.subkind { json.field("kind", subkind) }
            json.field("value", found.entity.value)
            json.field("start", found.span.start)
            json.field("end", found.span.end)
            json.endObject()
        }
        json.endArray()
        json.field("advice", advice)
        json.field("rules_version", rulesVersion)
        json.field("truncated", truncated)
    }

    /// The verdict as one JSON object.
    public var json: String {
        var writer = JSONWriter()
        writer.beginObject()
        writeMembers(to: &writer)
        writer.endObject()
        return writer.string
    }
}
