/// A plain list of known-bad values (domains, phone numbers, accounts, names) from `lists/NAME.txt`: one
/// entry per line, `#` starts a comment. Entries are normalised on load the way entity values are, so a list
/// may be written as people write numbers (`+86 138-0013-8000`) and still match.
public struct FraudList: Sendable {
    public let name: String
    /// Entries that are digit strings without a leading zero (account and card numbers, most phone
    /// numbers), kept as integers: a million bank accounts as strings would cost ~100 MB, as `UInt64` ~25 MB.
    private var numbers: Set<UInt64> = []
    /// Every other entry, normalised.
    private var strings: Set<String> = []

    /// How many distinct entries the list holds.
    public var count: Int { numbers.count + strings.count }

    /// The entries that are not plain numbers (hosts, names), normalised.
    public var textEntries: Set<String> { strings }

    public init(name: String, contents: String) {
        self.name = name
        var contents = contents
        contents.withUTF8 { bytes in
            // A byte-order mark (lists exported from spreadsheets on Windows start with one) is not part of
            // the first entry: left in, it made the first account unmatchable.
            var lineStart = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? 3 : 0
            for i in 0...bytes.count where i == bytes.count || bytes[i] == 10 || bytes[i] == 13 {
                if i > lineStart { add(UnsafeBufferPointer(rebasing: bytes[lineStart..<i])) }
                lineStart = i + 1
            }
        }
    }

    /// One line: numbers take a byte-level fast path (lists of a million accounts must load in well under
    /// 2 s); anything else goes through `normalise`.
    private mutating func add(_ line: UnsafeBufferPointer<UInt8>) {
        var end = line.count
        if let hash = line.firstIndex(of: UInt8(ascii: "#")) { end = hash }
        var value: UInt64 = 0
        var digits = 0
        var plain = true
        var i = 0
        while i < end {
            let b = line[i]
            if b >= 48 && b <= 57 {
                if digits == 0 && b == 48 { plain = false; break }
                digits += 1
                if digits > 19 { plain = false; break }
                value = value &* 10 &+ UInt64(b - 48)
            } else if b == 32 || b == 9 || (b == UInt8(ascii: "-") && digits > 0) {
                // spaces and dashes between digit groups
            } else {
                plain = false
                break
            }
            i += 1
        }
        if plain {
            if digits > 0 { numbers.insert(value) }
            return
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: line[0..<end]), as: UTF8.self)
        let entry = FraudList.normalise(text)
        guard !entry.isEmpty else { return }
        if let number = FraudList.number(entry) { numbers.insert(number) } else { strings.insert(entry) }
    }

    /// The integer form of a normalised entry that is 1–19 digits without a leading zero.
    private static func number(_ entry: String) -> UInt64? {
        guard let first = entry.utf8.first, first != UInt8(ascii: "0"), entry.utf8.count <= 19,
              entry.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        return UInt64(entry)
    }

    /// Lowercase, no spaces or dashes inside digit strings, no `+86`/`0086` country prefix, no scheme or
    /// trailing slash for links; text beyond ASCII folded as screening folds it.
    public static func normalise(_ raw: String) -> String {
        // Account numbers, phone numbers and links are ASCII: those take a byte path. The character path
        // below cost some 20,000 instructions a value (grapheme iteration, a string comparison per character
        // for the separators), more than the rest of screening a transaction twice over.
        if let ascii = raw.utf8.withContiguousStorageIfAvailable({ bytes in
            bytes.allSatisfy { $0 < 0x80 } ? normaliseASCII(bytes) : nil
        }), let ascii {
            return ascii
        }
        // Folded as screened text is (NFKC, case, traditional → simplified, zero-width and format characters
        // dropped): an account in full-width digits, or a name in traditional characters, is the listed one.
        // 帳 simplifies to 帐, which mainland names write 账 (账户): one character to a list, as Taiwan and Hong
        // Kong write 帳戶.
        // (Scalar by scalar: Foundation's `replacingOccurrences` went through CFString, some 6,000 instructions a
        // name, an eighth of screening a transaction.)
        var folded = FoldTable.base.fold(raw, compact: false)
        if folded.unicodeScalars.contains("帐") {
            folded = String(String.UnicodeScalarView(folded.unicodeScalars.map { $0 == "帐" ? "账" : $0 }))
        }
        if folded.utf8.allSatisfy({ $0 < 0x80 }) { return folded.withUTF8(normaliseASCII) }
        // Chinese names: CJK ideographs have no case, and none is a space, a slash or part of a scheme.
        if folded.unicodeScalars.allSatisfy({ (0x3400..<0xA000).contains($0.value) }) { return folded }
        var value = folded.trimmingSpaces()
        for scheme in ["http://", "https://"] where value.hasPrefix(scheme) { value.removeFirst(scheme.count) }
        while value.hasSuffix("/") { value.removeLast() }
        // A character outside ASCII is neither a digit, `+` nor one of the separators dropped from digit
        // strings, so a value holding one is not a digit string: no need to look at it character by character.
        guard value.utf8.allSatisfy({ $0 < 0x80 }) else { return value }
        var ascii = value
        return ascii.withUTF8(digitString) ?? value
    }

    /// `normalise` of ASCII text, byte by byte (in ASCII every character is one byte, so the steps are the same),
    /// in one scratch buffer.
    private static func normaliseASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: max(1, bytes.count)) { buffer in
            func isSpace(_ b: UInt8) -> Bool { b == 32 || (b >= 9 && b <= 13) }  // Unicode White_Space in ASCII
            var start = 0, end = bytes.count
            while start < end && isSpace(bytes[start]) { start += 1 }
            while end > start && isSpace(bytes[end - 1]) { end -= 1 }
            var count = 0
            for b in bytes[start..<end] { buffer[count] = b >= 65 && b <= 90 ? b + 32 : b; count += 1 }
            var first = 0
            for scheme in ["http://", "https://"] where count - first >= scheme.utf8.count
                && buffer[first..<first + scheme.utf8.count].elementsEqual(scheme.utf8) {
                first += scheme.utf8.count
            }
            while count > first && buffer[count - 1] == UInt8(ascii: "/") { count -= 1 }
            let value = UnsafeBufferPointer(rebasing: buffer[first..<count])
            return digitString(value) ?? String(decoding: value, as: UTF8.self)
        }
    }

    /// The digits of an ASCII value without its spaces and dashes and without a `+86`/`0086` prefix, when
    /// digits (and `+`) are all it holds; nil otherwise.
    private static func digitString(_ value: UnsafeBufferPointer<UInt8>) -> String? {
        func isSeparator(_ b: UInt8) -> Bool { b == UInt8(ascii: " ") || b == UInt8(ascii: "-") }
        var digits = 0
        for b in value where !isSeparator(b) {
            guard (b >= 48 && b <= 57) || b == UInt8(ascii: "+") else { return nil }
            digits += 1
        }
        guard digits > 0 else { return nil }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: digits) { buffer in
            var kept = 0
            for b in value where !isSeparator(b) { buffer[kept] = b; kept += 1 }
            var number = UnsafeBufferPointer(buffer)
            if number.starts(with: "+86".utf8) { number = UnsafeBufferPointer(rebasing: number[3...]) }
            else if number.starts(with: "0086".utf8) { number = UnsafeBufferPointer(rebasing: number[4...]) }
            return String(decoding: number, as: UTF8.self)
        }
    }

    /// Whether a normalised value is listed (O(1)).
    public func contains(_ value: String) -> Bool {
        if let number = FraudList.number(value) { return numbers.contains(number) }
        return strings.contains(value)
    }

    /// Whether `host` or one of its parent domains is listed.
    public func containsDomain(_ host: String) -> Bool { host.anyDomainLevel { strings.contains($0) } }
}

extension String {
    /// Whether `holds` is true of this host name or of one of its parent domains, never a bare top-level
    /// domain: `a.b.t.cn`, then `b.t.cn`, then `t.cn`. Walks the UTF-8 bytes (host names are ASCII in practice;
    /// the dots are ASCII either way), making a string per level only to test it.
    func anyDomainLevel(_ holds: (String) -> Bool) -> Bool {
        if holds(self) { return true }
        let dot = UInt8(ascii: ".")
        var start = utf8.startIndex
        while let next = utf8[start...].firstIndex(of: dot) {
            start = utf8.index(after: next)
            guard utf8[start...].contains(dot) else { return false }
            if holds(String(self[start...])) { return true }
        }
        return false
    }

    func trimmingSpaces() -> String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        let last = scalars.lastIndex(where: { !$0.properties.isWhitespace })!
        return String(scalars[first...last])
    }
}
