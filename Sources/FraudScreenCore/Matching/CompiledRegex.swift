import CPCRE2

/// A PCRE2 pattern compiled once (UTF, Unicode properties, caseless) and JIT-compiled when the platform
/// allows; shared read-only by every thread.
public final class CompiledRegex: @unchecked Sendable {
    public let pattern: String
    let code: OpaquePointer
    public let isJITCompiled: Bool
    /// The pattern compiled again with `PCRE2_ANCHORED` (a match must start at the start offset), when asked
    /// for: a regex whose matches all start with known literals is tried only where the keyword automaton
    /// found one. JIT code takes no anchoring option at match time, hence a second compilation.
    let anchoredCode: OpaquePointer?
    let isAnchoredJITCompiled: Bool
    /// ASCII character sets every match needs one character of (see `ASCIISet`).
    public let asciiRequirements: [ASCIISet]
    /// Every match starts at the start of the text (`^…` with no top-level alternative): tried anchored, it
    /// needs trying only where the text starts.
    public let startsAtTextStart: Bool

    /// A compile error with PCRE2's message and the offset (in Unicode scalars of the pattern) where it occurred.
    public struct CompileError: Error, CustomStringConvertible {
        public let message: String
        public let offset: Int
        public var description: String { "\(message) at offset \(offset)" }
    }

    /// Compiles `pattern`, and with `anchoredVariant` its anchored twin too.
    public init(_ pattern: String, anchoredVariant: Bool = false) throws {
        self.pattern = pattern
        (code, isJITCompiled) = try CompiledRegex.compile(pattern, options: 0)
        if anchoredVariant {
            do {
                (anchoredCode, isAnchoredJITCompiled) = try CompiledRegex.compile(pattern, options: UInt32(PCRE2_ANCHORED))
            } catch {
                pcre2_code_free_32(code)
                throw error
            }
        } else {
            (anchoredCode, isAnchoredJITCompiled) = (nil, false)
        }
        asciiRequirements = ASCIISet.required(by: pattern)
        startsAtTextStart = CompiledRegex.startAnchoredBody(Array(pattern.unicodeScalars)[...]) != nil
    }

    /// The pattern after a leading `^` that holds for every match — no top-level alternative escapes it —
    /// or nil. (`^` means the start of the text here: patterns are compiled without multiline.)
    static func startAnchoredBody(_ scalars: ArraySlice<Unicode.Scalar>) -> ArraySlice<Unicode.Scalar>? {
        guard scalars.first == "^", splitTopLevel(scalars).count == 1 else { return nil }
        return scalars.dropFirst()
    }

    private static func compile(_ pattern: String, options extra: UInt32) throws -> (OpaquePointer, jit: Bool) {
        var errorCode: Int32 = 0
        var errorOffset: Int = 0
        let options = UInt32(PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS) | extra
        let scalars = pattern.unicodeScalars.map(\.value)
        let compiled = scalars.withUnsafeBufferPointer { units in
            pcre2_compile_32(units.baseAddress, units.count, options, &errorCode, &errorOffset, nil)
        }
        guard let compiled else {
            throw CompileError(message: CompiledRegex.message(for: errorCode), offset: errorOffset)
        }
        return (compiled, pcre2_jit_compile_32(compiled, UInt32(PCRE2_JIT_COMPLETE)) == 0)
    }

    deinit {
        pcre2_code_free_32(code)
        if let anchoredCode { pcre2_code_free_32(anchoredCode) }
    }

    /// Whether the pattern matches empty text (`x?`, `(刷单)*`): then it matches at the start of every text.
    /// Asked of PCRE2 itself: its minimum-length figure ignores lookarounds, so `(?=.*刷单)(?=.*返利)` has
    /// one of 0 and still needs both words.
    public var matchesEmptyText: Bool {
        let matcher = RegexMatcher(matchLimit: 100_000, depthLimit: 1_000)
        if case .match = matcher.firstMatch(self, in: UnsafeBufferPointer(start: nil, count: 0)) { return true }
        return false
    }

    /// False when the text lacks an ASCII character every match needs, so running the regex is pointless.
    @inline(__always)
    func mayMatch(asciiPresent present: (UInt64, UInt64)) -> Bool {
        for set in asciiRequirements where !set.intersects(present) { return false }
        return true
    }

    static func message(for code: Int32) -> String {
        var buffer = [UInt32](repeating: 0, count: 256)
        let length = pcre2_get_error_message_32(code, &buffer, buffer.count)
        guard length > 0 else { return "PCRE2 error \(code)" }
        return String(String.UnicodeScalarView(buffer.prefix(Int(length)).compactMap(Unicode.Scalar.init)))
    }

    /// The longest literal every match must contain (a run of plain characters, joined with adjacent groups of
    /// plain alternatives where that leaves one literal); nil when there is none, or only a choice of several
    /// (`(安全|监管)账户` is a choice: 安全账户 or 监管账户).
    public static func requiredLiteral(of pattern: String) -> String? {
        guard let set = requiredLiterals(of: pattern), set.count == 1 else { return nil }
        return set[0]
    }

    /// Literals of which every match must contain at least one: a plain run (`转账`), one literal per
    /// alternative of a top-level or required group alternation (`(刷单|返利)` → 刷单 or 返利; `(转|汇|打)` → any
    /// of the three), joined with what is adjacent (`(安全|监管)账户` → 安全账户 or 监管账户). nil when some
    /// alternative has no literal at all. The regex then runs only when the keyword automaton saw one of them:
    /// even single characters are worth it, since a regex that runs on every text costs far more than one more
    /// automaton pattern (regexes without any literal were a quarter of screening time).
    public static func requiredLiterals(of pattern: String) -> [String]? {
        guard isAnalysable(pattern) else { return nil }
        return literalSets(Array(pattern.unicodeScalars)[...]).max(by: weaker).map { $0.map { String(String.UnicodeScalarView($0)) } }
    }

    /// Literals every match starts with one of (`(借我|先借)\d+` → 借我 or 先借, `(转|汇)(我|给我)` → 转我, 转给我,
    /// 汇我, 汇给我); nil when a match may start otherwise: with a class, an escape, a lookaround, an optional
    /// or repeated piece. Backtracking verbs `(*…)` are outside the analysis, so a pattern with one gets nil.
    /// A leading `^` is looked past (`^小[王李]` → 小王, 小李).
    public static func requiredPrefixes(of pattern: String) -> [String]? {
        guard isAnalysable(pattern) else { return nil }
        let scalars = Array(pattern.unicodeScalars)[...]
        let body = startAnchoredBody(scalars) ?? scalars
        return literalFacts(body).prefix.map { $0.map { String(String.UnicodeScalarView($0)) } }
    }

    /// The literal sets per top-level alternative (`比银行高|银行.{0,8}利息` → [[比银行高]] or [[银行], [利息]]): a match
    /// needs every set of some alternative. Finer than `requiredLiterals`, which can only take one literal
    /// per alternative (比银行高 or 银行), so the regex would run on every text that mentions a bank. A pattern
    /// that is one group around everything reads as its content. nil when some alternative has no literal.
    public static func requiredLiteralAlternatives(of pattern: String) -> [[[String]]]? {
        guard isAnalysable(pattern) else { return nil }
        var scalars = Array(pattern.unicodeScalars)[...]
        while scalars.first == "(", let close = matchingParenthesis(scalars, from: scalars.startIndex), close == scalars.endIndex - 1 {
            var content = scalars.startIndex + 1
            if content < close, scalars[content] == "?" {
                guard content + 1 < close, scalars[content + 1] == ":" else { break }  // lookaround, flags, names
                content += 2
            }
            scalars = scalars[content..<close]
        }
        var result: [[[String]]] = []
        for alternative in splitTopLevel(scalars) {
            let sets = literalSets(alternative)
            if sets.isEmpty { return nil }
            result.append(sets.map { $0.map { String(String.UnicodeScalarView($0)) } })
        }
        return result
    }

    private static func literalSets(_ scalars: ArraySlice<Unicode.Scalar>) -> [[[Unicode.Scalar]]] {
        literalFacts(scalars).sets
    }

    /// What the literal analysis knows about a piece of a pattern.
    private struct LiteralFacts {
        /// Sets every match contains a literal of each of.
        var sets: [[[Unicode.Scalar]]] = []
        /// Every match starts with one of these; nil when unknown.
        var prefix: [[Unicode.Scalar]]?
        /// Every match ends with one of these; nil when unknown.
        var suffix: [[Unicode.Scalar]]?
        /// Every match is one of these; nil when the piece is not a small set of plain literals.
        var exact: [[Unicode.Scalar]]?
    }

    /// Most literals a cross product may make (`(转|汇|打)(我|给我)` makes 6); past it the parts stay separate sets.
    static let crossProductLimit = 64

    /// Every concatenation of a literal of `a` with one of `b`, or nil past `crossProductLimit`.
    private static func crossProduct(_ a: [[Unicode.Scalar]], _ b: [[Unicode.Scalar]]) -> [[Unicode.Scalar]]? {
        guard a.count * b.count <= crossProductLimit else { return nil }
        var result: [[Unicode.Scalar]] = []
        for x in a { for y in b where !result.contains(x + y) { result.append(x + y) } }
        return result
    }

    /// The literal sets of a piece of pattern. Literals that must be adjacent are joined: plain characters
    /// and groups of plain alternatives next to each other (`(转|汇)(我|给我)` → 转我, 转给我, 汇我, 汇给我), and
    /// a literal next to a group that starts or ends with known literals (`(?:…(收取|缴纳))平台` → 收取平台 or
    /// 缴纳平台). A joined literal is rarer than its parts, so the regex runs on fewer texts. Anything that
    /// can stand between two literals (a class, an escape, a quantifier, a lookaround) keeps them apart.
    private static func literalFacts(_ scalars: ArraySlice<Unicode.Scalar>) -> LiteralFacts {
        let alternatives = splitTopLevel(scalars)
        if alternatives.count > 1 {
            let facts = alternatives.map(literalFacts)
            var result = LiteralFacts()
            var union: [[Unicode.Scalar]] = []
            for fact in facts {
                guard let set = fact.sets.max(by: weaker) else { return LiteralFacts() }
                for literal in set where !union.contains(literal) { union.append(literal) }
            }
            result.sets = [union]
            func unionAll(_ parts: [[[Unicode.Scalar]]?]) -> [[Unicode.Scalar]]? {
                var all: [[Unicode.Scalar]] = []
                for part in parts {
                    guard let part else { return nil }
                    for literal in part where !all.contains(literal) { all.append(literal) }
                }
                return all.count <= crossProductLimit ? all : nil
            }
            result.prefix = unionAll(facts.map(\.prefix))
            result.suffix = unionAll(facts.map(\.suffix))
            result.exact = unionAll(facts.map(\.exact))
            return result
        }

        var result = LiteralFacts()
        // The literals being joined, and whether they started the piece (then they are its prefix).
        var chain: [[Unicode.Scalar]]?
        var atStart = true
        var whole = true  // the piece so far is one chain
        func extend(_ literals: [[Unicode.Scalar]]) {
            if let current = chain {
                if let joined = crossProduct(current, literals) {
                    chain = joined
                    return
                }
                endChain()  // too many: keep the parts as separate sets
            }
            chain = literals
        }
        func add(_ set: [[Unicode.Scalar]]) {
            if !set.isEmpty && !result.sets.contains(set) { result.sets.append(set) }
        }
        func endChain() {
            if atStart { result.prefix = chain; atStart = false }
            if let current = chain { add(current) }
            chain = nil
            whole = false
        }
        func allowsZero(at index: Int) -> Bool {
            guard index < scalars.endIndex else { return false }
            switch scalars[index] {
            case "?", "*": return true
            case "{":
                var j = index + 1
                while j < scalars.endIndex, scalars[j] == " " { j += 1 }
                return j < scalars.endIndex && (scalars[j] == "0" || scalars[j] == ",")
            default: return false
            }
        }
        func isQuantifier(at index: Int) -> Bool {
            index < scalars.endIndex && "?*+{".unicodeScalars.contains(scalars[index])
        }
        /// Gives up on adjacency from here on, keeping the sets found so far.
        func unknownEnd() -> LiteralFacts {
            endChain()
            result.suffix = nil
            result.exact = nil
            return result
        }
        var i = scalars.startIndex
        while i < scalars.endIndex {
            let s = scalars[i]
            switch s {
            case "\\":
                endChain()
                if i + 1 < scalars.endIndex, scalars[i + 1] == "Q" { return unknownEnd() }
                i += 2
                // \p{Han}, \x{5fae}, \g{1} carry their argument in braces: skip it whole.
                if i < scalars.endIndex, scalars[i] == "{" {
                    while i < scalars.endIndex, scalars[i] != "}" { i += 1 }
                    i += 1
                }
                continue
            case "[":
                // A short class of plain characters (`[工农建]行`) is a choice of one-character literals.
                let close = classEnd(scalars, from: i)
                if let members = plainClassMembers(scalars, from: i, to: close), !isQuantifier(at: close + 1) {
                    extend(members.map { [$0] })
                } else {
                    endChain()
                }
                i = close + 1
                continue
            case "(":
                guard let close = matchingParenthesis(scalars, from: i) else { return unknownEnd() }
                guard let contentStart = groupContentStart(scalars, open: i, close: close) else {
                    endChain()
                    i = close + 1
                    continue
                }
                let group = literalFacts(scalars[contentStart..<close])
                if isQuantifier(at: close + 1) {
                    // Repeated or optional: no adjacency across it; its sets hold only if it must occur.
                    endChain()
                    if !allowsZero(at: close + 1) { group.sets.forEach(add) }
                } else if let exact = group.exact {
                    extend(exact)
                } else {
                    // What comes before meets the group's first literal; what follows meets its last one.
                    if let prefix = group.prefix { extend(prefix) }
                    endChain()
                    group.sets.forEach(add)
                    chain = group.suffix
                }
                i = close + 1
                continue
            case "{":
                // A counted quantifier applies to the atom before it, which never joined a chain.
                endChain()
                while i < scalars.endIndex, scalars[i] != "}" { i += 1 }
            default:
                if FoldTable.classify(s) == .keep && !isQuantifier(at: i + 1) {
                    extend([[s]])
                } else {
                    // Quantified (the character may be missing or repeat), or not a plain character.
                    endChain()
                }
            }
            i += 1
        }
        let last = chain
        let wasWhole = whole
        endChain()
        result.suffix = last
        result.exact = wasWhole ? last : nil
        return result
    }

    /// Which of two literal sets gates worse: fewer characters in its shortest literal, then more literals.
    private static func weaker(_ a: [[Unicode.Scalar]], _ b: [[Unicode.Scalar]]) -> Bool {
        let ma = a.map(\.count).min() ?? 0, mb = b.map(\.count).min() ?? 0
        return ma != mb ? ma < mb : a.count > b.count
    }

    /// Most members a class may have to be read as a choice of literals.
    static let plainClassLimit = 16

    /// The members of the class `open...close` when it lists only plain characters (no negation, range,
    /// escape or punctuation) and at most `plainClassLimit` of them; nil otherwise.
    static func plainClassMembers(_ scalars: ArraySlice<Unicode.Scalar>, from open: Int, to close: Int) -> [Unicode.Scalar]? {
        guard close < scalars.endIndex, close - open - 1 <= plainClassLimit else { return nil }
        var members: [Unicode.Scalar] = []
        for s in scalars[(open + 1)..<close] {
            guard FoldTable.classify(s) == .keep else { return nil }
            if !members.contains(s) { members.append(s) }
        }
        return members.isEmpty ? nil : members
    }

    /// The first group that repeats while something inside it repeats too (`(a+)+`, `((\\d+)-)*`), unless the
    /// inner repeat is possessive (`a++`) or the group atomic (`(?>…)`): on a long text that almost matches,
    /// such a pattern backtracks through exponentially many ways to split it, and PCRE2's match limit counts
    /// per starting position, so a text of many near-misses can still hold the engine for seconds. Nil when
    /// there is none, or the pattern holds syntax this reading does not follow. Loading warns about it.
    static func nestedRepeat(in pattern: String) -> String? {
        guard isAnalysable(pattern) else { return nil }
        let s = Array(pattern.unicodeScalars)[...]
        /// `delimited`: after the group's last repeat comes something required (`(\\d+-)+`), so each round must
        /// consume it and there is one way to split a text, not exponentially many.
        struct Group { var start: Int; var atomic: Bool; var repeatsInside = false; var delimited = false; var openBranch = false }
        var groups: [Group] = []
        var i = s.startIndex
        /// The quantifier starting at `j`: whether it repeats (`*`, `+`, `{n,}`, `{n,m}` with m > 1), whether
        /// without bound, and where it ends. A possessive one (`++`, `{2,}+`) backtracks into nothing: none.
        func quantifier(at j: Int) -> (repeats: Bool, unbounded: Bool, end: Int) {
            guard j < s.endIndex else { return (false, false, j) }
            var end = j + 1
            var repeats = false, unbounded = false
            switch s[j] {
            case "*", "+": repeats = true; unbounded = true
            case "?": return (false, false, end + (end < s.endIndex && (s[end] == "?" || s[end] == "+") ? 1 : 0))
            case "{":
                guard let close = s[j...].firstIndex(of: "}") else { return (false, false, j) }
                let bounds = String(String.UnicodeScalarView(s[(j + 1)..<close])).split(separator: ",", omittingEmptySubsequences: false)
                guard (1...2).contains(bounds.count), bounds.allSatisfy({ $0.allSatisfy(\.isNumber) }), !bounds[0].isEmpty else {
                    return (false, false, j)
                }
                unbounded = bounds.count == 2 && bounds[1].isEmpty
                repeats = unbounded || (bounds.count == 2 && (Int(bounds[1]) ?? 0) > 1)
                end = close + 1
            default: return (false, false, j)
            }
            if end < s.endIndex, s[end] == "+" { return (false, false, end + 1) }  // possessive
            if end < s.endIndex, s[end] == "?" { end += 1 }  // lazy still backtracks
            return (repeats, unbounded, end)
        }
        /// An atom ends at `j`: a repeat makes the innermost group repeat inside; a single required atom after
        /// a repeat delimits it.
        func atom(quantifiedAt j: Int) -> Int {
            let q = quantifier(at: j)
            if !groups.isEmpty {
                if q.repeats {
                    groups[groups.count - 1].repeatsInside = true
                    groups[groups.count - 1].delimited = false
                } else if q.end == j {
                    groups[groups.count - 1].delimited = true
                }
            }
            return q.end
        }
        while i < s.endIndex {
            switch s[i] {
            case "\\":
                i += 2
                if i < s.endIndex, s[i] == "{" { i = (s[i...].firstIndex(of: "}") ?? s.endIndex - 1) + 1 }  // \x{…}, \p{…}
                i = atom(quantifiedAt: i)
            case "[":
                i = atom(quantifiedAt: classEnd(s, from: i) + 1)
            case "(":
                let atomic = i + 2 < s.endIndex && s[i + 1] == "?" && s[i + 2] == ">"
                groups.append(Group(start: i, atomic: atomic))
                i += 1
                if i < s.endIndex, s[i] == "?" || s[i] == "*" { i += 1 }  // group syntax: not a quantifier
            case "|":
                if !groups.isEmpty {  // a branch that ended on a repeat stays ambiguous whatever the next one does
                    if groups[groups.count - 1].repeatsInside && !groups[groups.count - 1].delimited { groups[groups.count - 1].openBranch = true }
                    groups[groups.count - 1].delimited = false
                }
                i += 1
            case ")":
                guard let group = groups.popLast() else { return nil }
                let q = quantifier(at: i + 1)
                let ambiguous = group.repeatsInside && (!group.delimited || group.openBranch) && !group.atomic
                if q.repeats, q.unbounded, ambiguous { return String(String.UnicodeScalarView(s[group.start..<q.end])) }
                if !groups.isEmpty {
                    if q.repeats || ambiguous {
                        groups[groups.count - 1].repeatsInside = true
                        groups[groups.count - 1].delimited = false
                    } else if q.end == i + 1 {
                        groups[groups.count - 1].delimited = true
                    }
                }
                i = q.end
            default:
                i = atom(quantifiedAt: i + 1)
            }
        }
        return nil
    }

    /// The characters `pattern` matches as themselves, outside classes, quantifier braces, group syntax
    /// (`(?:`, `(?<name>`, inline options) and negative lookarounds, escaped punctuation included (`\+`): each
    /// must be in the text where the pattern has it. Loading reads them to warn about a pattern for the compact
    /// text that needs punctuation or a space, which that text never holds.
    static func plainCharacters(of pattern: String) -> [Unicode.Scalar] {
        guard isAnalysable(pattern) else { return [] }
        let s = Array(pattern.unicodeScalars)[...]
        var result: [Unicode.Scalar] = []
        var i = s.startIndex
        func skip(through end: Unicode.Scalar) {
            while i < s.endIndex, s[i] != end { i += 1 }
            i += 1
        }
        while i < s.endIndex {
            switch s[i] {
            case "\\":
                // An escaped punctuation character (`\+`, `\.`) is itself; letters and digits start classes,
                // assertions and code points (`\d`, `\b`, `\p{Han}`, `\x{5fae}`).
                if i + 1 < s.endIndex, s[i + 1].isASCII, !s[i + 1].properties.isAlphabetic, !("0"..."9").contains(s[i + 1]) {
                    result.append(s[i + 1])
                }
                i += 2
                if i < s.endIndex, s[i] == "{" { skip(through: "}") }
            case "[":
                i = classEnd(s, from: i) + 1
            case "{":
                skip(through: "}")  // a quantifier's bounds
            case "(":
                // A negative lookaround's characters must not be there: skip it whole.
                if i + 2 < s.endIndex, s[i + 1] == "?", s[i + 2] == "!" || (s[i + 2] == "<" && i + 3 < s.endIndex && s[i + 3] == "!") {
                    i = (matchingParenthesis(s, from: i) ?? s.endIndex - 1) + 1
                    continue
                }
                i += 1
                guard i < s.endIndex, s[i] == "?" || s[i] == "*" else { continue }
                if s[i] == "*" { skip(through: ")"); continue }  // (*VERB)
                i += 1
                guard i < s.endIndex else { continue }
                switch s[i] {
                case ":", "=", "!", "|", ">": i += 1
                case "#": skip(through: ")")
                case "<", "P", "'":
                    i += 1
                    if i < s.endIndex, s[i] == "=" || s[i] == "!" { i += 1 } else { skip(through: s[i - 1] == "'" ? "'" : ">") }
                default:
                    // Inline options: (?i) or (?i-x:…).
                    while i < s.endIndex, s[i] != ")" && s[i] != ":" { i += 1 }
                    i += 1
                }
            case ".", "^", "$", "*", "+", "?", ")", "|":
                i += 1
            default:
                result.append(s[i])
                i += 1
            }
        }
        return result
    }

    /// Whether the pattern uses only syntax the literal and ASCII analyses read. They gate a regex: a
    /// requirement they wrongly derive means the regex never runs on texts it matches, so a pattern with
    /// anything else gets no requirement at all. Outside are: extended mode (`(?x)`, where spaces and `#…`
    /// are not text), quoted runs (`\Q…\E`), backtracking verbs and option starts (`(*UCP)`), and subroutine
    /// calls by name (`(?P>name)`), which match text the analyses cannot see. Recursion, conditionals and
    /// callouts by number (`(?1)`, `(?(1)…)`, `(?C1)`) are read as requiring nothing, which is sound.
    static func isAnalysable(_ pattern: String) -> Bool {
        let s = Array(pattern.unicodeScalars)[...]
        // `\Q` quotes inside classes too: looked for everywhere, not only where the walk below stops.
        var backslashes = 0
        for scalar in s {
            if scalar == "Q", backslashes % 2 == 1 { return false }
            backslashes = scalar == "\\" ? backslashes + 1 : 0
        }
        var i = s.startIndex
        while i < s.endIndex {
            switch s[i] {
            case "\\":
                i += 2
            case "[":
                i = classEnd(s, from: i) + 1
            case "(":
                guard i + 1 < s.endIndex else { return true }
                if s[i + 1] == "*" { return false }
                guard s[i + 1] == "?", i + 2 < s.endIndex else { i += 1; continue }
                let kind = s[i + 2]
                if kind == "P", i + 3 < s.endIndex, s[i + 3] != "<" { return false }
                if kind != "P" && (kind.properties.isAlphabetic || kind == "-" || kind == "^") {
                    // Option letters up to `)` or `:` (`(?i)`, `(?s-i:…)`); `x` and `xx` change what text is.
                    var j = i + 2
                    while j < s.endIndex, s[j] != ")", s[j] != ":" {
                        if s[j] == "x" { return false }
                        j += 1
                    }
                }
                i += 1
            default:
                i += 1
            }
        }
        return true
    }

    /// The index of the `]` closing the character class that opens at `open` (a `]` right after `[` or `[^`
    /// is a member, escapes are skipped, and so are POSIX classes: `[[:digit:]]` ends at its second `]`).
    static func classEnd(_ scalars: ArraySlice<Unicode.Scalar>, from open: Int) -> Int {
        var i = open + 1
        if i < scalars.endIndex, scalars[i] == "^" { i += 1 }
        if i < scalars.endIndex, scalars[i] == "]" { i += 1 }
        while i < scalars.endIndex, scalars[i] != "]" {
            if scalars[i] == "\\" {
                i += 1
            } else if scalars[i] == "[", let end = posixClassEnd(scalars, from: i) {
                i = end
            }
            i += 1
        }
        return i
    }

    /// Where a POSIX class `[:name:]` (or `[.x.]`, `[=x=]`) starting at `open` ends (its `]`), read as PCRE2
    /// reads it: the terminator must come before any `]` or another `[:`; otherwise the `[` is a plain member.
    private static func posixClassEnd(_ scalars: ArraySlice<Unicode.Scalar>, from open: Int) -> Int? {
        guard open + 1 < scalars.endIndex, ":.=".unicodeScalars.contains(scalars[open + 1]) else { return nil }
        let kind = scalars[open + 1]
        var j = open + 2
        while j < scalars.endIndex {
            if scalars[j] == "\\", j + 1 < scalars.endIndex, scalars[j + 1] == "]" || scalars[j + 1] == "\\" {
                j += 2
                continue
            }
            if scalars[j] == "]" || (scalars[j] == "[" && j + 1 < scalars.endIndex && scalars[j + 1] == kind) { return nil }
            if scalars[j] == kind, j + 1 < scalars.endIndex, scalars[j + 1] == "]" { return j + 1 }
            j += 1
        }
        return nil
    }

    static func splitTopLevel(_ scalars: ArraySlice<Unicode.Scalar>) -> [ArraySlice<Unicode.Scalar>] {
        var parts: [ArraySlice<Unicode.Scalar>] = []
        var depth = 0
        var start = scalars.startIndex
        var i = scalars.startIndex
        while i < scalars.endIndex {
            switch scalars[i] {
            case "\\": i += 1
            case "[":
                i = classEnd(scalars, from: i)
            case "(": depth += 1
            case ")": depth -= 1
            case "|" where depth == 0:
                parts.append(scalars[start..<i])
                start = i + 1
            default: break
            }
            i += 1
        }
        parts.append(scalars[start..<min(i, scalars.endIndex)])
        return parts
    }

    /// Where the content of the group opening at `open` (closing at `close`) starts: after `(`, `(?:` or a
    /// group name; nil for lookarounds, flag settings and comments, which match no text of their own.
    static func groupContentStart(_ scalars: ArraySlice<Unicode.Scalar>, open: Int, close: Int) -> Int? {
        var content = open + 1
        guard content < close, scalars[content] == "?" else { return content }
        let next = content + 1 < close ? scalars[content + 1] : ")"
        if next == ":" { return content + 2 }
        guard next == "<" || next == "P", content + 2 < close, scalars[content + 2] != "=", scalars[content + 2] != "!" else {
            return nil
        }
        while content < close, scalars[content] != ">" { content += 1 }
        return min(content + 1, close)
    }

    static func matchingParenthesis(_ scalars: ArraySlice<Unicode.Scalar>, from open: Int) -> Int? {
        var depth = 0
        var i = open
        while i < scalars.endIndex {
            switch scalars[i] {
            case "\\": i += 1
            case "[":
                i = classEnd(scalars, from: i)
            case "(": depth += 1
            case ")":
                depth -= 1
                if depth == 0 { return i }
            default: break
            }
            i += 1
        }
        return nil
    }
}

/// The per-thread side of regex matching: match data and limits. Not thread-safe; one per `Screener`.
///
/// PCRE2's match limit counts per starting position: a search through a long text may take the limit's work at
/// every one of them. (A rule with `(a+)+(b|\d)` held the engine 0.9 s on a 64 KB text of short runs of `a`,
/// every position under the limit; now about 10 ms.) So a search through a text longer than `fullLimitScalars`
/// gets a smaller limit per position, `matchLimit × fullLimitScalars / length` (at least `minimumLimit`): its
/// whole work stays about what `fullLimitScalars` positions at the full limit would take. Texts of message size
/// keep the full limit, and a match that starts at one place (`anchoredMatch`) always does.
public final class RegexMatcher {
    private let matchData: OpaquePointer
    private let context: OpaquePointer
    private let matchLimit: UInt32
    /// The limit the context holds now.
    private var currentLimit: UInt32
    /// How many matches were abandoned at the work limits since this matcher was made.
    public private(set) var limitHits = 0

    /// Texts up to this many scalars are searched with the full match limit at every position.
    public static let fullLimitScalars = 1_024
    /// The smallest limit per position for the longest texts: what a pattern of a few alternatives and gaps
    /// takes to fail at a position.
    public static let minimumLimit: UInt32 = 200

    public enum Outcome: Equatable {
        case match(Range<Int>)
        case noMatch
        case limitExceeded
    }

    public init(matchLimit: UInt32, depthLimit: UInt32) {
        matchData = pcre2_match_data_create_32(8, nil)
        context = pcre2_match_context_create_32(nil)
        pcre2_set_match_limit_32(context, matchLimit)
        pcre2_set_depth_limit_32(context, depthLimit)
        self.matchLimit = matchLimit
        currentLimit = matchLimit
    }

    deinit {
        pcre2_match_data_free_32(matchData)
        pcre2_match_context_free_32(context)
    }

    /// The first match of `regex` in `text` at or after scalar `start`.
    public func firstMatch(_ regex: CompiledRegex, in text: UnsafeBufferPointer<Unicode.Scalar>, from start: Int = 0) -> Outcome {
        let positions = text.count - start
        setLimit(positions <= RegexMatcher.fullLimitScalars ? matchLimit
                 : max(min(RegexMatcher.minimumLimit, matchLimit),
                       UInt32(truncatingIfNeeded: Int(matchLimit) * RegexMatcher.fullLimitScalars / positions)))
        return run(regex.code, jit: regex.isJITCompiled, in: text, from: start)
    }

    /// The match of `regex` that starts exactly at scalar `start`, if any (the regex must have been compiled
    /// with its anchored variant). Lookbehinds still see the text before `start`.
    public func anchoredMatch(_ regex: CompiledRegex, in text: UnsafeBufferPointer<Unicode.Scalar>, at start: Int) -> Outcome {
        guard let anchored = regex.anchoredCode else { preconditionFailure("regex compiled without its anchored variant") }
        setLimit(matchLimit)
        return run(anchored, jit: regex.isAnchoredJITCompiled, in: text, from: start)
    }

    @inline(__always)
    private func setLimit(_ limit: UInt32) {
        if limit != currentLimit { pcre2_set_match_limit_32(context, limit); currentLimit = limit }
    }

    @inline(__always)
    private func run(_ code: OpaquePointer, jit: Bool, in text: UnsafeBufferPointer<Unicode.Scalar>, from start: Int) -> Outcome {
        // A Unicode scalar is its 32-bit value: PCRE2 reads the text where it is. Scalars are valid code points
        // by construction, so the UTF check is skipped (the JIT entry point skips the interpreter's option
        // checks altogether).
        let rc = text.withMemoryRebound(to: UInt32.self) { units in
            let subject = units.baseAddress ?? UnsafePointer(bitPattern: 4)!
            return jit
                ? pcre2_jit_match_32(code, subject, units.count, start, 0, matchData, context)
                : pcre2_match_32(code, subject, units.count, start, UInt32(PCRE2_NO_UTF_CHECK), matchData, context)
        }
        if rc >= 0 {
            let ovector = pcre2_get_ovector_pointer_32(matchData)!
            return .match(Int(ovector[0])..<Int(ovector[1]))
        }
        if rc == PCRE2_ERROR_NOMATCH { return .noMatch }
        limitHits += 1
        return .limitExceeded
    }
}
