#if canImport(Glibc)
import Glibc
#endif

/// systemd socket activation (sd_listen_fds(3)): listening sockets passed as file descriptors 3, 4, … with
/// `LISTEN_FDS` and `LISTEN_PID` in the environment. systemd owns the socket file (path, mode, group), so a
/// restart or upgrade of the daemon never drops a connection attempt: the kernel queues them meanwhile.
public enum SocketActivation {
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var description: String
    }

    /// The first inherited descriptor (`SD_LISTEN_FDS_START`).
    static let firstDescriptor: CInt = 3

    /// The inherited listening sockets, or none when the process was not socket-activated. Removes the
    /// variables from the environment so that they are not passed on.
    public static func inheritedListeners(environment: [String: String]) throws -> [CInt] {
        guard let countText = environment["LISTEN_FDS"] else { return [] }
        defer {
            unsetenv("LISTEN_FDS")
            unsetenv("LISTEN_PID")
            unsetenv("LISTEN_FDNAMES")
        }
        // Sockets meant for another process (the variables leaked through a fork) are not ours.
        if let pidText = environment["LISTEN_PID"], let pid = Int32(pidText), pid != getpid() { return [] }
        guard let count = Int32(countText), count >= 0, count < 64 else {
            throw Failure(description: "LISTEN_FDS='\(countText)' is not a descriptor count")
        }
        var descriptors: [CInt] = []
        for fd in firstDescriptor..<(firstDescriptor + count) {
            var status = stat()
            guard fstat(fd, &status) == 0, status.st_mode & S_IFMT == S_IFSOCK else {
                throw Failure(description: "inherited descriptor \(fd) is not a socket")
            }
            var listening: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) == 0, listening != 0 else {
                throw Failure(description: "inherited descriptor \(fd) is not a listening socket (use Accept=no)")
            }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            descriptors.append(fd)
        }
        return descriptors
    }
}
