import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A plain blocking Unix-socket connection for tests: sends exactly the bytes given (invalid UTF-8,
/// oversized lines) and reads answer lines, every read bounded by a timeout so no test can hang.
final class LineSocket: @unchecked Sendable {
    let fd: Int32
    private var buffer: [UInt8] = []
    let timeout: Double

    init(path: String, timeout: Double = 30) throws {
        self.timeout = timeout
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket() failed") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in for (i, b) in bytes.enumerated() { raw[i] = b } }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            let message = String(cString: strerror(errno))
            Glibc.close(fd)
            throw TestFailure("connect \(path): \(message)")
        }
    }

    func close() { Glibc.close(fd) }

    /// Ends the sending side (what `socat` and `nc -N` do at the end of their input); answers can still be read.
    func shutdownSending() { Glibc.shutdown(fd, Int32(SHUT_WR)) }

    func send(_ bytes: [UInt8]) throws {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + sent, bytes.count - sent, Int32(MSG_NOSIGNAL)) }
            if n < 0 {
                if errno == EINTR { continue }
                throw TestFailure("send: \(String(cString: strerror(errno)))")
            }
            sent += n
        }
    }

    func send(_ text: String) throws { try send(Array(text.utf8)) }

    /// Sends one line and reads one answer line.
    func request(_ line: String) throws -> String {
        try send(line + "\n")
        return try readLine()
    }

    /// The next line (without newline); throws on timeout or EOF.
    func readLine(timeout: Double? = nil) throws -> String {
        let deadline = Date().addingTimeInterval(timeout ?? self.timeout)
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            guard try fill(until: deadline) else { throw TestFailure("connection closed (buffered: \(buffer.count) bytes)") }
        }
    }

    /// Reads until the daemon closes the connection; returns the complete lines.
    func readUntilClosed(timeout: Double? = nil) throws -> [String] {
        let deadline = Date().addingTimeInterval(timeout ?? self.timeout)
        while try fill(until: deadline) {}
        let lines = buffer.split(separator: 0x0A).map { String(decoding: $0, as: UTF8.self) }
        buffer.removeAll()
        return lines
    }

    /// Reads more bytes; false at EOF. Throws at the deadline.
    private func fill(until deadline: Date) throws -> Bool {
        while true {
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else { throw TestFailure("timed out waiting for the daemon") }
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(min(remaining, 1) * 1000))
            if ready < 0 { if errno == EINTR { continue }; throw TestFailure("poll failed") }
            if ready == 0 { continue }
            var chunk = [UInt8](repeating: 0, count: 65_536)
            let n = recv(fd, &chunk, chunk.count, 0)
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                if errno == ECONNRESET { return false }
                throw TestFailure("recv: \(String(cString: strerror(errno)))")
            }
            if n == 0 { return false }
            buffer.append(contentsOf: chunk[..<n])
            return true
        }
    }
}

/// Parses an answer line for assertions.
func json(_ line: String) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
}

func errorCode(_ line: String) -> String? {
    (json(line)["error"] as? [String: Any])?["code"] as? String
}
