/// A set of ASCII characters as two 64-bit words, plus one pseudo-member (the DEL bit, 127) standing for
/// "a decimal digit outside ASCII", so that a set meaning `\d` stays honest under Unicode matching.
///
/// Regexes without a required literal cannot be gated by the keyword automaton, but many still cannot
/// match without some ASCII character — a phone-number pattern needs a digit, a domain pattern a dot and a
/// dash. `NormalizedText` records which ASCII characters a text has while folding it (one OR per
/// character); a regex runs only when every set it requires meets the text's.
public struct ASCIISet: Equatable, Sendable {
    public var low: UInt64
    public var high: UInt64

    public init(low: UInt64 = 0, high: UInt64 = 0) {
        self.low = low
        self.high = high
    }

    public static let nonASCIIDigit = ASCIISet(high: 1 << 63)
    public static let digits: ASCIISet = {
        var set = ASCIISet.nonASCIIDigit
        for c in UInt8(ascii: "0")...UInt8(ascii: "9") { set.insert(c) }
        return set
    }()

    public static let dot = ASCIISet.caseless(".")
    public static let asciiDigits = ASCIISet(low: 0x03FF_0000_0000_0000)
    public static let asciiAlphanumerics: ASCIISet = {
        var set = asciiDigits
        for c in UInt8(ascii: "a")...UInt8(ascii: "z") { set.insertCaseless(c) }
        return set
    }()

    public var isEmpty: Bool { low == 0 && high == 0 }
    public var count: Int { low.nonzeroBitCount + high.nonzeroBitCount }

    public mutating func insert(_ c: UInt8) {
        if c < 64 { low |= 1 << UInt64(c) } else if c < 128 { high |= 1 << UInt64(c - 64) }
    }

    /// Inserts `c` in both cases when it is a letter (patterns are compiled caseless).
    mutating func insertCaseless(_ c: UInt8) {
        insert(c)
        if c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z") { insert(c - 32) }
        if c >= UInt8(ascii: "A") && c <= UInt8(ascii: "Z") { insert(c + 32) }
    }

    public func union(_ other: ASCIISet) -> ASCIISet { ASCIISet(low: low | other.low, high: high | other.high) }

    @inline(__always)
    public func intersects(_ present: (UInt64, UInt64)) -> Bool { low & present.0 != 0 || high & present.1 != 0 }

    /// The ASCII sets every match of `pattern` must draw at least one character from (all of them must meet
    /// the text). Conservative: anything the analysis does not understand requires nothing.
    public static func required(by pattern: String) -> [ASCIISet] {
        guard CompiledRegex.isAnalysable(pattern) else { return [] }
        return RequirementScanner(Array(pattern.unicodeScalars)).sequence(0, nil)
    }
}

/// Reads a PCRE2 pattern just far enough to find ASCII characters every match needs: literal characters,
/// escaped punctuation, `\d`, and classes of ASCII members, each not made optional by a quantifier; groups
/// recursively; an alternation needs the union of one set per alternative.
private struct RequirementScanner {
    let s: [Unicode.Scalar]

    init(_ s: [Unicode.Scalar]) { self.s = s }

    /// The requirements of `s[start..<end]` (end nil: to the end of the pattern).
    func sequence(_ start: Int, _ end: Int?) -> [ASCIISet] {
        let end = end ?? s.count
        let alternatives = splitAlternatives(start, end)
        if alternatives.count > 1 {
            var union = ASCIISet()
            for (a, b) in alternatives {
                // The weakest alternative decides; its narrowest set is the best it can promise.
                guard let narrowest = sequence(a, b).min(by: { $0.count < $1.count }) else { return [] }
                union = union.union(narrowest)
            }
            return [union]
        }
        var result: [ASCIISet] = []
        var i = start
        while i < end {
            var atom: [ASCIISet] = []
            let c = s[i]
            switch c {
            case "\\":
                guard i + 1 < end else { return result }
                let e = s[i + 1]
                if e == "Q" { return result }  // quoted run: not worth reading
                i += 2
                if e == "d" {
                    atom = [.digits]
                } else if e.isASCII && !e.properties.isAlphabetic && !("0"..."9").contains(e) {
                    atom = [ASCIISet.caseless(e)]
                } else {
                    i = escapeArgumentEnd(e, i, end)
                }
            case "[":
                let close = classEnd(i, end)
                if let set = classSet(i + 1, close) { atom = [set] }
                i = close + 1
            case "(":
                let close = matchingParenthesis(i, end) ?? end
                // Lookarounds, flags and comments require nothing here.
                if let content = CompiledRegex.groupContentStart(s[..<end], open: i, close: close) { atom = sequence(content, close) }
                i = close + 1
            case ".", "^", "$", "|", ")":
                i += 1
            default:
                if c.isASCII, let byte = UInt8(exactly: c.value) { atom = [ASCIISet.caseless(Unicode.Scalar(byte))] }
                i += 1
            }
            // A quantifier that allows zero makes the atom optional.
            if i < end, "?*+{".unicodeScalars.contains(s[i]) {
                let optional = s[i] == "?" || s[i] == "*" || (s[i] == "{" && minimumIsZero(i, end))
                if s[i] == "{" { while i < end, s[i] != "}" { i += 1 } }
                i += 1
                if i < end, s[i] == "?" || s[i] == "+" { i += 1 }  // lazy or possessive
                if optional { atom = [] }
            }
            result.append(contentsOf: atom.filter { !$0.isEmpty })
        }
        return result
    }

    /// The members of a class `s[start..<close]` when all are ASCII characters, ranges or `\d`; nil otherwise.
    private func classSet(_ start: Int, _ close: Int) -> ASCIISet? {
        var i = start
        if i < close, s[i] == "^" { return nil }
        var set = ASCIISet()
        while i < close {
            var c = s[i]
            if c == "[" { return nil }  // POSIX class
            if c == "\\" {
                guard i + 1 < close else { return nil }
                let e = s[i + 1]
                i += 2
                if e == "d" { set = set.union(.digits); continue }
                guard e.isASCII, !e.properties.isAlphabetic, !("0"..."9").contains(e) else { return nil }
                c = e
            } else {
                i += 1
            }
            guard c.isASCII else { return nil }
            if i + 1 < close, s[i] == "-", s[i + 1] != "\\", s[i + 1].isASCII {
                let upper = s[i + 1]
                guard c.value <= upper.value else { return nil }
                for v in c.value...upper.value { set.insertCaseless(UInt8(v)) }
                i += 2
            } else {
                set.insertCaseless(UInt8(c.value))
            }
        }
        return set.isEmpty ? nil : set
    }

    /// Where the argument of escape `\e` starting at `i` ends: `\p{Han}`, `\pL`, `\x{5fae}`, `\x41`, `\k<name>`,
    /// `\g1`, `\012`, `\cA` — none of it is literal text.
    private func escapeArgumentEnd(_ e: Unicode.Scalar, _ i: Int, _ end: Int) -> Int {
        var j = i
        if j < end, let close: Unicode.Scalar = ["{": "}", "<": ">", "'": "'"][s[j]], "pPxokgN".unicodeScalars.contains(e) {
            j += 1
            while j < end, s[j] != close { j += 1 }
            return min(j + 1, end)
        }
        switch e {
        case "p", "P", "c": return min(j + 1, end)
        case "x":
            var k = 0
            while j < end, k < 2, s[j].properties.isASCIIHexDigit { j += 1; k += 1 }
        case "g", "0"..."9":
            if j < end, s[j] == "-" || s[j] == "+" { j += 1 }
            while j < end, ("0"..."9").contains(s[j]) { j += 1 }
        default: break
        }
        return j
    }

    private func minimumIsZero(_ open: Int, _ end: Int) -> Bool {
        var j = open + 1
        while j < end, s[j] == " " { j += 1 }
        if j < end, s[j] == "," { return true }  // `{,n}`
        guard j < end, s[j] == "0" else { return false }
        let k = j + 1
        return k < end && (s[k] == "," || s[k] == "}")
    }

    // Pattern structure is read with the same helpers the literal analysis uses.
    private func classEnd(_ open: Int, _ end: Int) -> Int { CompiledRegex.classEnd(s[..<end], from: open) }

    private func matchingParenthesis(_ open: Int, _ end: Int) -> Int? {
        CompiledRegex.matchingParenthesis(s[..<end], from: open)
    }

    private func splitAlternatives(_ start: Int, _ end: Int) -> [(Int, Int)] {
        CompiledRegex.splitTopLevel(s[start..<end]).map { ($0.startIndex, $0.endIndex) }
    }
}

extension ASCIISet {
    static func caseless(_ c: Unicode.Scalar) -> ASCIISet {
        var set = ASCIISet()
        if c.isASCII { set.insertCaseless(UInt8(c.value)) }
        return set
    }
}
