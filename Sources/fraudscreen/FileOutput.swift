#if canImport(Glibc)
import Glibc
#endif

/// Tiny wrappers over stdio the commands need, without pulling Foundation into hot paths.
enum FileOutput {
    case standardOutput, standardError

    func write(_ text: String) {
        // write(2) straight to the descriptor: no shared stdio buffer to guard, and output is never lost in
        // a buffer when the process exits early.
        _ = FileOutput.writeAll(Array(text.utf8)[...], to: self == .standardOutput ? STDOUT_FILENO : STDERR_FILENO)
    }

    /// Writes all of `bytes` to `fd`, resuming after signals and short writes: nil, or the errno that stopped it.
    private static func writeAll(_ bytes: ArraySlice<UInt8>, to fd: Int32) -> Int32? {
        var rest = bytes
        while !rest.isEmpty {
            let n = rest.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return errno
            }
            rest = rest.dropFirst(n)
        }
        return nil
    }

    /// Writes `bytes` to the file at `path` through the path itself: a symlink's target, a FIFO, `/dev/stdout`
    /// or `>(…)` get the bytes and an existing file keeps its mode. (Writing a temporary file and renaming it
    /// over the path replaced such a path with a new regular file.)
    static func write(_ bytes: [UInt8], toPath path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o666)
        guard fd >= 0 else { throw ToolFailure(message: "cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        if let failure = writeAll(bytes[...], to: fd) {
            throw ToolFailure(message: "cannot write \(path): \(String(cString: strerror(failure)))")
        }
    }

    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// Whether standard output is a terminal that wants colour (NO_COLOR turns it off).
    static var colourOutput: Bool {
        isatty(STDOUT_FILENO) == 1 && getenv("NO_COLOR") == nil
    }

    /// Reads all of standard input as bytes.
    static func readStandardInput(limit: Int) throws -> [UInt8] {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = read(STDIN_FILENO, &buffer, buffer.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw ToolFailure(message: "cannot read standard input: \(String(cString: strerror(errno)))")
            }
            if n == 0 { break }
            bytes.append(contentsOf: buffer[0..<n])
            if bytes.count > limit { throw ToolFailure(message: "input is larger than \(limit / 1_048_576) MiB") }
        }
        return bytes
    }
}
