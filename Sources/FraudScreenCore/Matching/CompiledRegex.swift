import CPCRE2

/// A PCRE2 pattern compiled once (UTF, Unicode properties, caseless) and JIT-compiled when the platform
/// allows; shared read-only by every thread.
public final class CompiledRegex: @unchecked Sendable {
    public let pattern: String
    let code: OpaquePointer
    public let isJITCompiled: Bool

    /// A compile error with PCRE2's message and the offset (in UTF-8 bytes of the pattern) where it occurred.
    public struct CompileError: Error, CustomStringConvertible {
        public let message: String
        public let offset: Int
        public var description: String { "\(message) at offset \(offset)" }
    }

    public init(_ pattern: String) throws {
        self.pattern = pattern
        var errorCode: Int32 = 0
        var errorOffset: Int = 0
        let options = UInt32(PCRE2_UTF | PCRE2_UCP | PCRE2_CASELESS)
        let compiled = pattern.withCString { cString in
            cString.withMemoryRebound(to: UInt8.self, capacity: pattern.utf8.count) { bytes in
                pcre2_compile_8(bytes, pattern.utf8.count, options, &errorCode, &errorOffset, nil)
            }
        }
        guard let compiled else {
            throw CompileError(message: CompiledRegex.message(for: errorCode), offset: errorOffset)
        }
        code = compiled
        isJITCompiled = pcre2_jit_compile_8(compiled, UInt32(PCRE2_JIT_COMPLETE)) == 0
    }

    deinit { pcre2_code_free_8(code) }

    static func message(for code: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 256)
        let length = pcre2_get_error_message_8(code, &buffer, buffer.count)
        return length > 0 ? String(decoding: buffer.prefix(Int(length)), as: UTF8.self) : "PCRE2 error \(code)"
    }

    /// The longest run of plain characters (letters, digits, CJK) that every match must contain, found
    /// outside groups, classes and quantified atoms; nil when the pattern has a top-level alternation or no
    /// run of at least two characters. Used to run the regex only when the keyword automaton saw the literal.
    public static func requiredLiteral(of pattern: String) -> String? {
        let scalars = Array(pattern.unicodeScalars)
        var best: [Unicode.Scalar] = []
        var run: [Unicode.Scalar] = []
        var depth = 0
        var i = 0
        func endRun() {
            if run.count > best.count { best = run }
            run.removeAll()
        }
        func isQuantifier(at index: Int) -> Bool {
            guard index < scalars.count else { return false }
            return "?*+{".unicodeScalars.contains(scalars[index])
        }
        while i < scalars.count {
            let s = scalars[i]
            switch s {
            case "\\":
                // An escape: letters and digits after a backslash are classes or references, never literals.
                endRun()
                if i + 1 < scalars.count, scalars[i + 1] == "Q" { return nil }
                i += 2
                // \p{Han}, \x{5fae}, \g{1} carry their argument in braces: skip it whole.
                if i < scalars.count, scalars[i] == "{" {
                    while i < scalars.count, scalars[i] != "}" { i += 1 }
                    i += 1
                }
                if i < scalars.count, "?*+".unicodeScalars.contains(scalars[i]) { i += 1 }
                continue
            case "[":
                endRun()
                i += 1
                if i < scalars.count, scalars[i] == "^" { i += 1 }
                if i < scalars.count, scalars[i] == "]" { i += 1 }
                while i < scalars.count, scalars[i] != "]" {
                    if scalars[i] == "\\" { i += 1 }
                    i += 1
                }
                i += 1
                continue
            case "(":
                endRun(); depth += 1
            case ")":
                endRun(); depth -= 1
            case "|":
                if depth == 0 { return nil }
                endRun()
            case "{":
                // A counted quantifier applies to the atom before it, which may then occur zero times.
                if !run.isEmpty { run.removeLast() }
                endRun()
                while i < scalars.count, scalars[i] != "}" { i += 1 }
            default:
                if depth == 0, FoldTable.classify(s) == .keep {
                    if isQuantifier(at: i + 1) {
                        endRun()
                    } else {
                        run.append(s)
                    }
                } else {
                    endRun()
                }
            }
            i += 1
        }
        endRun()
        return best.count >= 2 ? String(String.UnicodeScalarView(best)) : nil
    }
}

/// The per-thread side of regex matching: match data and limits. Not thread-safe; one per `Screener`.
public final class RegexMatcher {
    private let matchData: OpaquePointer
    private let context: OpaquePointer
    /// How many matches were abandoned at the work limits since this matcher was made.
    public private(set) var limitHits = 0

    public enum Outcome: Equatable {
        case match(Range<Int>)
        case noMatch
        case limitExceeded
    }

    public init(matchLimit: UInt32, depthLimit: UInt32) {
        matchData = pcre2_match_data_create_8(8, nil)
        context = pcre2_match_context_create_8(nil)
        pcre2_set_match_limit_8(context, matchLimit)
        pcre2_set_depth_limit_8(context, depthLimit)
    }

    deinit {
        pcre2_match_data_free_8(matchData)
        pcre2_match_context_free_8(context)
    }

    /// The first match of `regex` in `bytes` at or after byte `start` (bytes must be valid UTF-8: it is not
    /// checked again).
    public func firstMatch(_ regex: CompiledRegex, in bytes: UnsafeBufferPointer<UInt8>, from start: Int = 0) -> Outcome {
        let rc = pcre2_match_8(regex.code, bytes.baseAddress ?? UnsafePointer(bitPattern: 1)!, bytes.count, start,
                               UInt32(PCRE2_NO_UTF_CHECK), matchData, context)
        if rc >= 0 {
            let ovector = pcre2_get_ovector_pointer_8(matchData)!
            return .match(Int(ovector[0])..<Int(ovector[1]))
        }
        if rc == PCRE2_ERROR_NOMATCH { return .noMatch }
        limitHits += 1
        return .limitExceeded
    }
}
