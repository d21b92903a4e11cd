import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// The socket file the daemon creates when it is not socket-activated: never steals the path from a live
/// daemon, never exists with a wider mode than configured, and gets the configured group.
enum SocketFile {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The longest path a Unix socket address holds (its terminating zero takes the last byte).
    static let maxPathBytes = MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1

    /// Removes a stale socket file left by a daemon that died; refuses when something still listens there
    /// or when the path is not a socket.
    static func prepare(_ path: String) throws {
        guard path.utf8.count <= maxPathBytes else {
            throw Failure(description: "\(path): \(path.utf8.count) bytes, longer than the \(maxPathBytes) a Unix socket address holds")
        }
        var status = stat()
        guard lstat(path, &status) == 0 else { return }
        guard status.st_mode & S_IFMT == S_IFSOCK else {
            throw Failure(description: "\(path) exists and is not a socket; not removing it")
        }
        if isListening(path) {
            throw Failure(description: "another daemon is listening on \(path)")
        }
        guard unlink(path) == 0 || errno == ENOENT else {
            throw Failure(description: "cannot remove stale socket \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Whether a connection to `path` succeeds.
    static func isListening(_ path: String) -> Bool {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count <= maxPathBytes else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, byte) in bytes.enumerated() { raw[i] = byte }
        }
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0
            }
        }
    }

    /// Runs `bind` with a umask that keeps the new socket file from ever being wider than `mode`, then sets
    /// the exact mode and group. (The umask is process-wide; this runs once, at startup.)
    static func bindRestricted<T>(_ path: String, mode: UInt32, group: UInt32?, bind: () throws -> T) throws -> T {
        let previous = umask(mode_t(0o777 & ~mode))
        let result: T
        do {
            result = try bind()
        } catch let error as IOError {
            umask(previous)
            throw Failure(description: "\(path): \(explanation(of: error.errnoCode, binding: path))")
        } catch {
            umask(previous)
            throw error
        }
        umask(previous)
        // The socket is already the process's group when that is the one asked for: no chown then, which the
        // shipped unit's system-call filter refuses (~@privileged takes @chown with it).
        var status = stat()
        let alreadyThere = stat(path, &status) == 0 && group.map { status.st_gid == $0 } ?? true
        if let group, !alreadyThere, chown(path, uid_t.max, group) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(path)
            throw Failure(description: "cannot give \(path) to group \(group): \(reason) (the daemon's user must be in the group; "
                + "under the shipped unit, which filters chown, use the daemon's own group)")
        }
        guard chmod(path, mode_t(mode)) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(path)
            throw Failure(description: "cannot chmod \(path): \(reason)")
        }
        return result
    }

    /// What a failed bind means for the operator: the usual causes named, not just the errno.
    private static func explanation(of code: Int32, binding path: String) -> String {
        let parent = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let directory = parent.isEmpty ? (path.hasPrefix("/") ? "/" : ".") : parent
        let reason = String(cString: strerror(code))
        var status = stat()
        switch code {
        case ENOENT where stat(directory, &status) != 0: return "\(reason): the directory \(directory) does not exist"
        case EACCES, EPERM: return "\(reason): this user may not create files in \(directory)"
        case EROFS: return "\(reason): \(directory) is on a read-only file system"
        default: return reason
        }
    }
}
