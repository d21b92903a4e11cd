/// A minimal streaming JSON writer into a byte buffer. Verdicts are written on the hot path of the daemon;
/// writing them directly costs a fraction of going through `Encodable` and keeps key order stable.
///
/// The bytes live in memory the writer owns (it is non-copyable, so there is exactly one owner): appending is
/// a capacity check and a store, where `[UInt8].append` cost a uniqueness check and a call per write — about
/// 100 ns per member, more than all the screening of a benign message.
public struct JSONWriter: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private var count = 0
    /// Per open container, one bit: whether the next member needs a comma (bit 0 is the innermost).
    private var commaBits: UInt64 = 0
    private var depth = 0
    private var afterKey = false

    public init(reservingCapacity capacity: Int = 512) {
        self.capacity = max(capacity, 16)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// Empties the writer for the next document, keeping its memory (a writer reused for every answer of an
    /// event loop allocates nothing per answer).
    public mutating func reset() {
        count = 0
        commaBits = 0
        depth = 0
        afterKey = false
    }

    /// Bytes the writer can hold before it grows.
    public var reservedCapacity: Int { capacity }

    /// The bytes written so far (a copy).
    public var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    /// Calls `body` with the bytes written so far, without copying them.
    public func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: base, count: count))
    }

    @inline(__always)
    private mutating func reserve(_ more: Int) {
        guard count + more > capacity else { return }
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: max(capacity * 2, count + more))
        grown.update(from: base, count: count)
        base.deallocate()
        base = grown
        capacity = max(capacity * 2, count + more)
    }

    @inline(__always)
    private mutating func append(_ byte: UInt8) {
        reserve(1)
        base[count] = byte
        count += 1
    }

    @inline(__always)
    private mutating func append(_ run: UnsafeBufferPointer<UInt8>) {
        guard let source = run.baseAddress, !run.isEmpty else { return }
        let n = run.count
        reserve(n)
        let from = UnsafeRawPointer(source), to = UnsafeMutableRawPointer(base + count)
        // Most runs are a member name or a short value: two overlapping word copies instead of a call.
        if n >= 8 && n <= 16 {
            to.storeBytes(of: from.loadUnaligned(as: UInt64.self), as: UInt64.self)
            to.storeBytes(of: from.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self), toByteOffset: n - 8, as: UInt64.self)
        } else {
            to.copyMemory(from: from, byteCount: n)
        }
        count += n
    }

    @inline(__always)
    private mutating func append(_ text: StaticString) {
        // String literals have a pointer representation: read it directly (no closure per write).
        if text.hasPointerRepresentation {
            append(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
        } else {
            text.withUTF8Buffer { append($0) }
        }
    }

    public var string: String { withBytes { String(decoding: $0, as: UTF8.self) } }

    @inline(__always)
    private mutating func beforeValue() {
        if afterKey {
            afterKey = false
        } else if depth > 0 {
            if commaBits & 1 != 0 { append(UInt8(ascii: ",")) }
            commaBits |= 1
        }
    }

    @inline(__always)
    private mutating func open(_ bracket: UInt8) {
        beforeValue()
        append(bracket)
        precondition(depth < 64, "JSON nested deeper than 64 levels")
        depth += 1
        commaBits <<= 1
    }

    @inline(__always)
    private mutating func close(_ bracket: UInt8) {
        depth -= 1
        commaBits >>= 1
        append(bracket)
    }

    public mutating func beginObject() { open(UInt8(ascii: "{")) }
    public mutating func endObject() { close(UInt8(ascii: "}")) }
    public mutating func beginArray() { open(UInt8(ascii: "[")) }
    public mutating func endArray() { close(UInt8(ascii: "]")) }
    public mutating func beginObject(key name: String) { key(name); beginObject() }
    public mutating func beginArray(key name: String) { key(name); beginArray() }

    /// Writes `"name":` inside an object; the value written next belongs to it.
    public mutating func key(_ name: String) {
        if commaBits & 1 != 0 { append(UInt8(ascii: ",")) }
        commaBits |= 1
        appendQuoted(name)
        append(UInt8(ascii: ":"))
        afterKey = true
    }

    /// Writes `"name":` for a name known at compile time to need no escaping: one copy, no scan — most keys
    /// of an answer are these, and going through `String` cost a retain, a scan and a closure call each.
    @inline(__always)
    public mutating func key(static name: StaticString) {
        if commaBits & 1 != 0 { append(UInt8(ascii: ",")) }
        commaBits |= 1
        append(UInt8(ascii: "\""))
        append(name)
        append(UInt8(ascii: "\""))
        append(UInt8(ascii: ":"))
        afterKey = true
    }

    /// A string given as its UTF-8 bytes (already valid UTF-8).
    private mutating func quoted(utf8 bytes: UnsafeBufferPointer<UInt8>) {
        append(UInt8(ascii: "\""))
        appendEscaped(bytes)
        append(UInt8(ascii: "\""))
    }

    /// One piece of evidence as an array element: the same six members for millions of them, laid out directly.
    mutating func evidence(field: String, start: Int, end: Int, text: UnsafeBufferPointer<UInt8>,
                           source: Verdict.Evidence.Source, evasive: Bool) {
        beforeValue()
        append("{\"field\":"); appendQuoted(field)
        evidenceMembers(start: start, end: end, text: text, source: source, evasive: evasive)
    }

    /// The same, with the opening brace and `field` member already encoded (`JSONWriter.evidenceOpening`):
    /// a verdict's evidence names the same few fields over and over.
    mutating func evidence(opening: UnsafeBufferPointer<UInt8>, start: Int, end: Int, text: UnsafeBufferPointer<UInt8>,
                           source: Verdict.Evidence.Source, evasive: Bool) {
        beforeValue()
        append(opening)
        evidenceMembers(start: start, end: end, text: text, source: source, evasive: evasive)
    }

    /// `{"field":"…"` for evidence in field `name`.
    static func evidenceOpening(field name: String) -> [UInt8] {
        var json = JSONWriter(reservingCapacity: 16 + name.utf8.count)
        json.append("{\"field\":")
        json.appendQuoted(name)
        return json.bytes
    }

    private mutating func evidenceMembers(start: Int, end: Int, text: UnsafeBufferPointer<UInt8>,
                                          source: Verdict.Evidence.Source, evasive: Bool) {
        append(",\"start\":"); appendDecimal(start)
        append(",\"end\":"); appendDecimal(end)
        append(",\"text\":"); quoted(utf8: text)
        append(JSONWriter.sourceMember(source))
        append(evasive ? ",\"evasive\":true}" : ",\"evasive\":false}")
    }

    /// `,"source":"…"` for each source, spelled out once.
    private static func sourceMember(_ source: Verdict.Evidence.Source) -> StaticString {
        switch source {
        case .keyword: return ",\"source\":\"keyword\""
        case .regex: return ",\"source\":\"regex\""
        case .entity: return ",\"source\":\"entity\""
        case .list: return ",\"source\":\"list\""
        case .transaction: return ",\"source\":\"transaction\""
        }
    }

    /// Members already encoded elsewhere (`"a":1,"b":"x"`), written as given into the open object.
    mutating func rawMembers(_ encoded: UnsafeBufferPointer<UInt8>) {
        if commaBits & 1 != 0 { append(UInt8(ascii: ",")) }
        commaBits |= 1
        append(encoded)
    }

    public mutating func member(_ name: StaticString, _ s: String) { key(static: name); value(s) }
    public mutating func member(_ name: StaticString, _ n: Int) { key(static: name); value(n) }
    public mutating func member(_ name: StaticString, _ b: Bool) { key(static: name); value(b) }
    public mutating func member(_ name: StaticString, _ s: String?) { key(static: name); if let s { value(s) } else { null() } }

    public mutating func value(_ s: String) { beforeValue(); appendQuoted(s) }
    public mutating func value(_ n: Int) { beforeValue(); appendDecimal(n) }
    public mutating func value(_ b: Bool) { beforeValue(); append(b ? "true" : "false") }
    public mutating func null() { beforeValue(); append("null") }
    /// A complete JSON value written as given.
    public mutating func raw(_ json: [UInt8]) { beforeValue(); json.withUnsafeBufferPointer { append($0) } }

    public mutating func field(_ name: String, _ s: String) { key(name); value(s) }
    public mutating func field(_ name: String, _ n: Int) { key(name); value(n) }
    public mutating func field(_ name: String, _ b: Bool) { key(name); value(b) }
    public mutating func field(_ name: String, _ s: String?) { key(name); if let s { value(s) } else { null() } }

    /// Digits written straight into the buffer (no intermediate `String`): counted first, then stored from
    /// the last one back, after one capacity check.
    private mutating func appendDecimal(_ n: Int) {
        // Offsets and scores are mostly one or two digits.
        if n >= 0 && n < 100 {
            reserve(2)
            if n < 10 {
                base[count] = UInt8(truncatingIfNeeded: 48 + n)
                count += 1
            } else {
                base[count] = UInt8(truncatingIfNeeded: 48 + n / 10)
                base[count + 1] = UInt8(truncatingIfNeeded: 48 + n % 10)
                count += 2
            }
            return
        }
        var magnitude = n.magnitude
        let sign = n < 0 ? 1 : 0
        var digits = 1
        var limit: UInt = 10
        while digits < 20 && magnitude >= limit { digits += 1; limit = limit &* 10 }
        reserve(sign + digits)
        if sign != 0 { base[count] = UInt8(ascii: "-") }
        var k = count + sign + digits
        count = k
        repeat {
            k -= 1
            base[k] = UInt8(truncatingIfNeeded: 48 + magnitude % 10)
            magnitude /= 10
        } while magnitude > 0
    }

    private mutating func appendQuoted(_ s: String) {
        append(UInt8(ascii: "\""))
        // Native strings (all of ours) hand out their bytes without a copy; others are copied once.
        if s.utf8.withContiguousStorageIfAvailable({ appendEscaped($0) }) == nil {
            var copy = s
            copy.withUTF8 { appendEscaped($0) }
        }
        append(UInt8(ascii: "\""))
    }

    private mutating func appendEscaped(_ utf8: UnsafeBufferPointer<UInt8>) {
        // Most strings (advice, descriptions, matched text, field names) need no escaping at all: they are
        // checked eight bytes at a time and copied in one go; others are copied run by run between the bytes
        // that need escaping.
        let raw = UnsafeRawBufferPointer(utf8)
        guard var special = JSONBytes.firstSpecial(in: raw, from: 0) else {
            append(utf8)
            return
        }
        var runStart = 0
        while true {
            let i = special
            append(UnsafeBufferPointer(rebasing: utf8[runStart..<i]))
            runStart = i + 1
            let byte = utf8[i]
            switch byte {
            case UInt8(ascii: "\""): append(92); append(34)
            case UInt8(ascii: "\\"): append(92); append(92)
            case 0x0A: append(92); append(UInt8(ascii: "n"))
            case 0x0D: append(92); append(UInt8(ascii: "r"))
            case 0x09: append(92); append(UInt8(ascii: "t"))
            default:
                let hex = JSONWriter.hexDigits
                for b in [92, UInt8(ascii: "u"), 48, 48, hex[Int(byte >> 4)], hex[Int(byte & 15)]] { append(b) }
            }
            guard let next = JSONBytes.firstSpecial(in: raw, from: runStart) else { break }
            special = next
        }
        append(UnsafeBufferPointer(rebasing: utf8[runStart..<utf8.count]))
    }

    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
}

/// The bytes a JSON string cannot hold as they are: `"`, `\\` and control characters. A writer escapes them; a
/// reader's fast path runs until one. Both look for them eight bytes at a time.
public enum JSONBytes {
    /// Whether any of the eight bytes of `word` is a control character, `"` or `\\` (may report a false
    /// positive, never a false negative: the caller then checks byte by byte).
    @inline(__always)
    public static func maySpecial(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        func hasZeroByte(_ x: UInt64) -> Bool { (x &- ones) & ~x & highs != 0 }
        // A byte below 0x20: subtracting 0x20 borrows into its high bit (ASCII bytes only; bytes ≥ 0x80 are
        // excluded by `~word`).
        let control = (word &- ones &* 0x20) & ~word & highs != 0
        return control || hasZeroByte(word ^ (ones &* 0x22)) || hasZeroByte(word ^ (ones &* 0x5C))
    }

    /// Whether `byte` is a control character, `"` or `\\`.
    @inline(__always)
    public static func isSpecial(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
    }

    /// The offset of the first special byte at or after `start`, or nil.
    @inline(__always)
    public static func firstSpecial(in bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard let base = bytes.baseAddress else { return nil }
        var i = start
        while i + 8 <= bytes.count {
            if maySpecial(base.loadUnaligned(fromByteOffset: i, as: UInt64.self)) { break }
            i += 8
        }
        // The last few bytes: one word ending at the end (it rereads bytes already found plain).
        if i < bytes.count && i + 8 > bytes.count && bytes.count - start >= 8
            && !maySpecial(base.loadUnaligned(fromByteOffset: bytes.count - 8, as: UInt64.self)) {
            return nil
        }
        while i < bytes.count {
            if isSpecial(bytes[i]) { return i }
            i += 1
        }
        return nil
    }
}

extension Verdict {
    /// Writes the verdict's members (without braces) into an open object, so a caller can add its own (id,
    /// elapsed time) around them. The shape is documented in docs/PROTOCOL.md.
    public func writeMembers(to json: inout JSONWriter) {
        json.member("verdict", decision.rawValue)
        json.member("score", score)
        if let fired, fired.categoryIndex >= 0 {
            json.rawMembers(fired.ruleText.categoryMembers(category: fired.categoryIndex))
        } else {
            json.member("category", nil as String?)
            json.member("category_name", nil as String?)
        }
        json.key(static: "category_scores"); json.beginObject()
        if let fired {
            let categories = fired.ruleText.categoryList
            fired.forEachCategoryScore { c, value in json.field(categories[c].id, value) }
        }
        json.endObject()
        json.key(static: "hits"); json.beginArray()
        if let editedHits = hasEditedHits ? hits : nil {
            for hit in editedHits { Verdict.writeHit(hit, to: &json) }
        } else if let fired {
            fired.writeHits(to: &json)
        }
        json.endArray()
        json.key(static: "entities"); json.beginArray()
        for found in entities.prefix(Verdict.maxListedEntities) {
            json.beginObject()
            json.member("field", found.field)
            json.member("type", found.entity.kind.rawValue)
            if let subkind = found.entity.subkind { json.member("kind", subkind) }
            json.member("value", found.entity.value)
            json.member("start", found.span.start)
            json.member("end", found.span.end)
            json.endObject()
        }
        json.endArray()
        if entities.count > Verdict.maxListedEntities { json.member("entities_omitted", entities.count - Verdict.maxListedEntities) }
        if decision != .allow, let fired, fired.categoryIndex >= 0 {
            json.rawMembers(fired.ruleText.adviceMember(category: fired.categoryIndex, isTransaction: isTransaction))
        } else {
            json.member("advice", nil as String?)
        }
        json.member("rules_version", rulesVersion)
        json.member("truncated", truncated)
    }

    /// A hit given as a public value (edited by a caller), written out in full.
    static func writeHit(_ hit: RuleHit, to json: inout JSONWriter) {
        json.beginObject()
        writeHitHeader(to: &json, ruleID: hit.ruleID, category: hit.category, score: hit.score, description: hit.description,
                       ceiling: hit.ceiling)
        json.key(static: "evidence"); json.beginArray()
        for e in hit.evidence {
            var text = e.text
            text.withUTF8 { json.evidence(field: e.field, start: e.span.start, end: e.span.end, text: $0, source: e.source, evasive: e.evasive) }
        }
        json.endArray()
        json.endObject()
    }

    /// The members naming a hit's rule; `EncodedRuleText` encodes the same once per rule.
    static func writeHitHeader(to json: inout JSONWriter, ruleID: String, category: String, score: Int, description: String,
                               ceiling: Int?) {
        json.member("rule", ruleID)
        json.member("category", category)
        json.member("score", score)
        if let ceiling { json.member("ceiling", ceiling) }  // only rules that have one: answers stay as they were
        json.member("description", description)
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
