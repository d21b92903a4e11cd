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

    /// Writes `bytes` to `path` as a report file: a regular file (or a new one) is replaced whole — written
    /// beside it, synced, renamed over it — so an interrupted write leaves the previous report, not half of the
    /// new one; a symlink's target is what is replaced, and it keeps its mode. Anything else (a FIFO,
    /// `/dev/stdout`, `>(…)`) is written through the path itself. (Renaming over the path itself turned such
    /// paths into new regular files.)
    static func write(_ bytes: [UInt8], toPath path: String) throws {
        func failure(_ code: Int32) -> ToolFailure { ToolFailure(message: "cannot write \(path): \(String(cString: strerror(code)))") }
        var status = stat()
        let exists = stat(path, &status) == 0
        guard !exists || status.st_mode & S_IFMT == S_IFREG else {
            let fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC)
            guard fd >= 0 else { throw failure(errno) }
            defer { close(fd) }
            if let code = writeAll(bytes[...], to: fd) { throw failure(code) }
            return
        }
        var target = path
        if exists, let resolved = realpath(path, nil) {
            target = String(cString: resolved)
            free(resolved)
        }
        let temporary = target + ".\(getpid()).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
        guard fd >= 0 else { throw failure(errno) }
        var code = writeAll(bytes[...], to: fd)
        if code == nil, exists, fchmod(fd, status.st_mode & 0o7777) != 0 { code = errno }
        if code == nil, fsync(fd) != 0 { code = errno }
        if close(fd) != 0, code == nil { code = errno }
        if code == nil, rename(temporary, target) != 0 { code = errno }
        if let code {
            unlink(temporary)
            throw failure(code)
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
