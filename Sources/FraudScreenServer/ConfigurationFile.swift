import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The daemon's configuration file: `key = value` lines, `#` comments (whole lines, or after whitespace), any
/// line endings, the same settings as the command-line
/// options (systemd/fraudscreend.conf is the annotated example). Unknown keys and bad values are errors
/// naming the line, so a typo never silently runs the daemon with a default.
public enum ConfigurationFile {
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// Every key the file may set.
    public static let keys = ["socket", "rules", "reports_dir", "admin_uid", "admin_group", "socket_group", "socket_mode",
                              "metrics_socket", "max_line_bytes", "max_connections", "max_in_flight", "batch_size",
                              "idle_timeout", "drain_timeout", "threads", "log_level"]

    /// Parses `text` into key/value pairs (later lines win).
    public static func parse(_ text: String, file: String) throws -> [String: String] {
        var values: [String: String] = [:]
        // Any line break: a file saved with CRLF endings is one "\r\n" Character per break, which a split on
        // "\n" never finds (the whole file became one line, and a first-line comment hid every setting).
        for (index, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            // A `#` after whitespace starts a comment here too: `socket = /run/x.sock  # clients` named a socket
            // "x.sock  # clients".
            var uncommented = Substring(rawLine)
            if let hash = rawLine.indices.first(where: { rawLine[$0] == "#" && ($0 == rawLine.startIndex || rawLine[rawLine.index(before: $0)].isWhitespace) }) {
                uncommented = rawLine[..<hash]
            }
            let line = uncommented.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            guard let equals = line.firstIndex(of: "=") else {
                throw Failure(description: "\(file):\(index + 1): expected 'key = value'")
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { value = String(value.dropFirst().dropLast()) }
            guard keys.contains(key) else {
                throw Failure(description: "\(file):\(index + 1): unknown key '\(key)' (known: \(keys.joined(separator: ", ")))")
            }
            guard !value.isEmpty else {
                throw Failure(description: "\(file):\(index + 1): '\(key)' has no value (comment the line out to use the default)")
            }
            values[key] = value
        }
        return values
    }

    /// Reads and parses a configuration file.
    public static func load(path: String) throws -> [String: String] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Failure(description: "\(path): cannot read configuration file")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw Failure(description: "\(path): not UTF-8") }
        return try parse(text, file: path)
    }

    /// A group name or number as a gid.
    public static func groupID(_ nameOrNumber: String) throws -> UInt32 {
        if let number = UInt32(nameOrNumber) { return number }
        guard let entry = getgrnam(nameOrNumber) else { throw Failure(description: "unknown group '\(nameOrNumber)' (no such group on this host)") }
        return entry.pointee.gr_gid
    }

    /// A user name or number as a uid.
    public static func userID(_ nameOrNumber: String) throws -> UInt32 {
        if let number = UInt32(nameOrNumber) { return number }
        guard let entry = getpwnam(nameOrNumber) else { throw Failure(description: "unknown user '\(nameOrNumber)'") }
        return entry.pointee.pw_uid
    }
}
