#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A pull parser over one JSON text held in memory.
///
/// The daemon decodes every request with it instead of Foundation's `JSONDecoder`: a request is a few
/// hundred bytes and `Codable` costs as much as screening it (docs/PROTOCOL.md, /work/shared notes). The
/// reader never builds a tree; the caller walks the object it expects and skips everything else.
/// Bytes need not be valid UTF-8 beforehand: every string is checked as it is made (see `string(_:)`), and
/// everything outside strings is ASCII syntax or a syntax error. A line that parses is therefore valid UTF-8,
/// and a caller looks for the invalid byte (the daemon's `UTF8Validation`) only when parsing fails — validating every
/// line up front and again when making its strings cost two passes over every request.
package struct JSONReader {
    /// Malformed JSON: what was wrong and the byte offset.
    package struct SyntaxError: Error, Equatable {
        package var message: String
        package var offset: Int
    }

    /// The kind of the value at the cursor.
    package enum Kind: Equatable { case object, array, string, number, bool, null }

    /// Deeper nesting is refused; skipping values is iterative, but nothing in the protocol is this deep.
    package static let maxDepth = 64

    private let bytes: UnsafeRawBufferPointer
    package private(set) var offset = 0

    package init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    private func fail(_ message: String) -> SyntaxError { SyntaxError(message: message, offset: offset) }

    private mutating func skipWhitespace() {
        while offset < bytes.count {
            switch bytes[offset] {
            case 0x20, 0x09, 0x0A, 0x0D: offset += 1
            default: return
            }
        }
    }

    /// The kind of the next value, after skipping whitespace.
    package mutating func peekKind() throws(SyntaxError) -> Kind {
        skipWhitespace()
        guard offset < bytes.count else { throw fail("unexpected end of input") }
        switch bytes[offset] {
        case UInt8(ascii: "{"): return .object
        case UInt8(ascii: "["): return .array
        case UInt8(ascii: "\""): return .string
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        default: throw fail("unexpected character")
        }
    }

    /// An object member's name, as the bytes between its quotes (valid UTF-8, escapes resolved); valid only
    /// during the call that receives it. Compared with literals in a `switch` without making a `String`:
    /// every request has a few keys, and making each a string cost more than reading the rest of the line.
    package struct Key {
        package let bytes: UnsafeRawBufferPointer

        package static func ~= (pattern: StaticString, key: Key) -> Bool {
            guard pattern.hasPointerRepresentation else { return pattern.withUTF8Buffer { $0.elementsEqual(key.bytes) } }
            return pattern.utf8CodeUnitCount == key.bytes.count
                && (key.bytes.isEmpty || memcmp(pattern.utf8Start, key.bytes.baseAddress!, key.bytes.count) == 0)
        }
    }

    /// Walks an object: `body` is called with each key and must consume that key's value. A member name that
    /// comes twice (also when spelled with escapes, `"te\u0078t"`) is a syntax error: JSON leaves duplicates
    /// to the parser, and two parsers that pick different ones (a gateway the first `text`, this reader the
    /// last) would see different requests (I-JSON, RFC 7493, forbids them).
    package mutating func readObject(_ body: (inout JSONReader, Key) throws(SyntaxError) -> Void) throws(SyntaxError) {
        skipWhitespace()
        guard offset < bytes.count, bytes[offset] == UInt8(ascii: "{") else { throw fail("expected an object") }
        offset += 1
        skipWhitespace()
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "}") { offset += 1; return }
        // The names so far: plain ones as offset << 32 | length in `bytes` (the first 16 on the stack: a
        // request's objects have a handful, and an array per object was a malloc per object), decoded ones as
        // strings (rare).
        var firstNames = FirstNames()
        var plainCount = 0
        var moreNames: [UInt64] = []
        var decodedNames: [String] = []
        func isRepeated(_ name: UnsafeRawBufferPointer) -> Bool {
            func same(_ packed: UInt64) -> Bool {
                let count = Int(packed & 0xFFFF_FFFF)
                return count == name.count && (count == 0 || memcmp(bytes.baseAddress! + Int(packed >> 32), name.baseAddress!, count) == 0)
            }
            for k in 0..<min(plainCount, FirstNames.capacity) where same(firstNames[k]) { return true }
            for packed in moreNames where same(packed) { return true }
            for other in decodedNames where other.utf8.elementsEqual(name) { return true }
            return false
        }
        while true {
            skipWhitespace()
            guard offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") else { throw fail("expected a string key") }
            // An ASCII key without escapes (every key this protocol knows) is used in place; any other is
            // decoded and checked like a string value.
            let start = offset + 1
            let end = JSONBytes.firstSpecial(in: bytes, from: start) ?? bytes.count
            let plain = end < bytes.count && bytes[end] == UInt8(ascii: "\"")
                && !UnsafeRawBufferPointer(rebasing: bytes[start..<end]).contains { $0 >= 0x80 }
            var decoded = ""
            let keyBytes: UnsafeRawBufferPointer
            if plain {
                keyBytes = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
                offset = end + 1
            } else {
                decoded = try readString()
                keyBytes = UnsafeRawBufferPointer(start: nil, count: 0)
            }
            func repeated(_ name: String) -> SyntaxError {
                SyntaxError(message: "member '\(name)' given twice", offset: start - 1)
            }
            if plain {
                if isRepeated(keyBytes) { throw repeated(String(decoding: keyBytes, as: UTF8.self)) }
                let packed = UInt64(start) << 32 | UInt64(keyBytes.count)
                if plainCount < FirstNames.capacity { firstNames[plainCount] = packed } else { moreNames.append(packed) }
                plainCount += 1
            } else {
                if decoded.withUTF8({ isRepeated(UnsafeRawBufferPointer($0)) }) { throw repeated(decoded) }
                decodedNames.append(decoded)
            }
            skipWhitespace()
            guard offset < bytes.count, bytes[offset] == UInt8(ascii: ":") else { throw fail("expected ':' after key") }
            offset += 1
            if plain {
                try body(&self, Key(bytes: keyBytes))
            } else {
                var failure: SyntaxError?
                decoded.withUTF8 { utf8 in
                    do throws(SyntaxError) { try body(&self, Key(bytes: UnsafeRawBufferPointer(utf8))) } catch { failure = error }
                }
                if let failure { throw failure }
            }
            skipWhitespace()
            guard offset < bytes.count else { throw fail("unterminated object") }
            if bytes[offset] == UInt8(ascii: ",") { offset += 1; continue }
            if bytes[offset] == UInt8(ascii: "}") { offset += 1; return }
            throw fail("expected ',' or '}' in object")
        }
    }

    /// An object's first member names, on the stack (`InlineArray` needs macOS 26; the package builds for 14).
    private struct FirstNames {
        static let capacity = 16
        private var storage: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
                              UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

        subscript(_ i: Int) -> UInt64 {
            get { withUnsafeBytes(of: storage) { $0.load(fromByteOffset: i &* 8, as: UInt64.self) } }
            set { withUnsafeMutableBytes(of: &storage) { $0.storeBytes(of: newValue, toByteOffset: i &* 8, as: UInt64.self) } }
        }
    }

    /// Reads a string value, resolving escapes.
    package mutating func readString() throws(SyntaxError) -> String {
        skipWhitespace()
        guard offset < bytes.count, bytes[offset] == UInt8(ascii: "\"") else { throw fail("expected a string") }
        offset += 1
        let start = offset
        // Fast path: no escapes, so the bytes between the quotes are the string. The end is looked for eight
        // bytes at a time (a message text runs to hundreds of bytes).
        offset = JSONBytes.firstSpecial(in: bytes, from: offset) ?? bytes.count
        if offset < bytes.count {
            let byte = bytes[offset]
            if byte == UInt8(ascii: "\"") {
                guard let text = JSONReader.validString(UnsafeRawBufferPointer(rebasing: bytes[start..<offset])) else {
                    throw fail(JSONReader.invalidUTF8)
                }
                offset += 1
                return text
            }
            if byte < 0x20 { throw fail("control character in string") }
        }
        var decoded = Array(bytes[start..<offset])
        while offset < bytes.count {
            let byte = bytes[offset]
            if byte == UInt8(ascii: "\"") {
                offset += 1
                guard let text = decoded.withUnsafeBytes(JSONReader.validString) else { throw fail(JSONReader.invalidUTF8) }
                return text
            }
            if byte < 0x20 { throw fail("control character in string") }
            if byte != UInt8(ascii: "\\") { decoded.append(byte); offset += 1; continue }
            offset += 1
            guard offset < bytes.count else { break }
            let escape = bytes[offset]
            offset += 1
            switch escape {
            case UInt8(ascii: "\""): decoded.append(0x22)
            case UInt8(ascii: "\\"): decoded.append(0x5C)
            case UInt8(ascii: "/"): decoded.append(0x2F)
            case UInt8(ascii: "b"): decoded.append(0x08)
            case UInt8(ascii: "f"): decoded.append(0x0C)
            case UInt8(ascii: "n"): decoded.append(0x0A)
            case UInt8(ascii: "r"): decoded.append(0x0D)
            case UInt8(ascii: "t"): decoded.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try readHex4()
                if (0xD800...0xDBFF).contains(scalar) {
                    // A high surrogate must be followed by an escaped low surrogate.
                    guard offset + 1 < bytes.count, bytes[offset] == UInt8(ascii: "\\"), bytes[offset + 1] == UInt8(ascii: "u") else {
                        throw fail("unpaired surrogate in \\u escape")
                    }
                    offset += 2
                    let low = try readHex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw fail("unpaired surrogate in \\u escape") }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(scalar) {
                    throw fail("unpaired surrogate in \\u escape")
                }
                decoded.append(contentsOf: UTF8.encode(Unicode.Scalar(scalar)!)!)
            default:
                throw fail("invalid escape in string")
            }
        }
        throw fail("unterminated string")
    }

    /// The string of UTF-8 `raw`, or nil when `raw` is not valid UTF-8. Decoding repairs invalid input (each
    /// bad sequence becomes U+FFFD), so the result has exactly the input's bytes only when there was nothing
    /// to repair: one decoding pass and a byte comparison, no separate validation.
    private static func validString(_ raw: UnsafeRawBufferPointer) -> String? {
        let text = String(decoding: raw, as: UTF8.self)
        guard text.utf8.count == raw.count else { return nil }
        guard let start = raw.baseAddress, !raw.isEmpty else { return text }
        let same = text.utf8.withContiguousStorageIfAvailable { memcmp($0.baseAddress!, start, raw.count) == 0 }
            ?? text.utf8.elementsEqual(raw)
        return same ? text : nil
    }

    /// The message of the error thrown for a string that is not valid UTF-8.
    static let invalidUTF8 = "string is not valid UTF-8"

    private mutating func readHex4() throws(SyntaxError) -> UInt32 {
        guard offset + 4 <= bytes.count else { throw fail("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[offset]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw fail("invalid \\u escape")
            }
            value = value << 4 | digit
            offset += 1
        }
        return value
    }

    /// Reads `true` or `false`.
    package mutating func readBool() throws(SyntaxError) -> Bool {
        skipWhitespace()
        if matchLiteral("true") { return true }
        if matchLiteral("false") { return false }
        throw fail("expected true or false")
    }

    private mutating func matchLiteral(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard offset + count <= bytes.count else { return false }
        let matches = literal.withUTF8Buffer { expected in
            (0..<count).allSatisfy { bytes[offset + $0] == expected[$0] }
        }
        if matches { offset += count }
        return matches
    }

    /// Skips a number and returns its bytes (JSON grammar checked).
    package mutating func readNumberBytes() throws(SyntaxError) -> UnsafeRawBufferPointer {
        skipWhitespace()
        let start = offset
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "-") { offset += 1 }
        func digits(_ reader: inout JSONReader) -> Int {
            let from = reader.offset
            while reader.offset < reader.bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(reader.bytes[reader.offset]) {
                reader.offset += 1
            }
            return reader.offset - from
        }
        let integerStart = offset
        let integerDigits = digits(&self)
        guard integerDigits > 0 else { throw fail("invalid number") }
        if integerDigits > 1, bytes[integerStart] == UInt8(ascii: "0") { throw fail("leading zero in number") }
        if offset < bytes.count, bytes[offset] == UInt8(ascii: ".") {
            offset += 1
            guard digits(&self) > 0 else { throw fail("invalid number") }
        }
        if offset < bytes.count, bytes[offset] == UInt8(ascii: "e") || bytes[offset] == UInt8(ascii: "E") {
            offset += 1
            if offset < bytes.count, bytes[offset] == UInt8(ascii: "+") || bytes[offset] == UInt8(ascii: "-") { offset += 1 }
            guard digits(&self) > 0 else { throw fail("invalid number") }
        }
        return UnsafeRawBufferPointer(rebasing: bytes[start..<offset])
    }

    /// Skips any value and returns the range of its bytes (used to echo `id` exactly as sent). Iterative,
    /// with an explicit stack, so hostile nesting cannot overflow the thread's stack.
    @discardableResult
    package mutating func skipValue() throws(SyntaxError) -> Range<Int> {
        skipWhitespace()
        let start = offset
        var open: [Bool] = []  // true: object, false: array
        repeat {
            skipWhitespace()
            guard offset < bytes.count else { throw fail("unexpected end of input") }
            switch bytes[offset] {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let isObject = bytes[offset] == UInt8(ascii: "{")
                open.append(isObject)
                guard open.count <= JSONReader.maxDepth else { throw fail("nesting deeper than \(JSONReader.maxDepth)") }
                offset += 1
                skipWhitespace()
                if offset < bytes.count, bytes[offset] == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    offset += 1
                    open.removeLast()
                } else {
                    if isObject { try readKeyColon() }
                    continue
                }
            case UInt8(ascii: "\""): _ = try readString()
            case UInt8(ascii: "t"), UInt8(ascii: "f"): _ = try readBool()
            case UInt8(ascii: "n"):
                guard matchLiteral("null") else { throw fail("expected null") }
            default: _ = try readNumberBytes()
            }
            // After a complete value inside containers: a separator, or closers.
            while let isObject = open.last {
                skipWhitespace()
                guard offset < bytes.count else { throw fail("unexpected end of input") }
                if bytes[offset] == UInt8(ascii: ",") {
                    offset += 1
                    if isObject { try readKeyColon() }
                    break
                }
                guard bytes[offset] == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) else {
                    throw fail("expected ',' or a closing bracket")
                }
                offset += 1
                open.removeLast()
            }
        } while !open.isEmpty
        return start..<offset
    }

    private mutating func readKeyColon() throws(SyntaxError) {
        skipWhitespace()
        _ = try readString()
        skipWhitespace()
        guard offset < bytes.count, bytes[offset] == UInt8(ascii: ":") else { throw fail("expected ':' after key") }
        offset += 1
    }

    /// Requires that only whitespace is left.
    package mutating func finish() throws(SyntaxError) {
        skipWhitespace()
        guard offset == bytes.count else { throw fail("unexpected data after the JSON value") }
    }
}
