import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// Who is on the other end of a Unix-socket connection, from the kernel (SO_PEERCRED), not from anything
/// the client says. Admin operations are decided on these.
struct PeerCredentials: Sendable, Equatable {
    var pid: Int32
    var uid: UInt32
    var gid: UInt32
    /// The peer's supplementary groups as the kernel saw them when it connected (SO_PEERGROUPS), not as the
    /// user database lists them: a process that dropped a group is not in it. Nil when the kernel could not
    /// say (before Linux 4.13, or more groups than read), and the user database decides.
    var groups: [UInt32]?

    /// Reads the credentials of a connected Unix-domain socket channel.
    static func of(_ channel: Channel) -> EventLoopFuture<PeerCredentials> {
        guard let provider = channel as? SocketOptionProvider else {
            return channel.eventLoop.makeFailedFuture(ChannelError.operationUnsupported)
        }
        let future: EventLoopFuture<KernelCredentials> = provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(PeerCredentials.soPeerCred))
        let groups: EventLoopFuture<KernelGroups?> = provider.unsafeGetSocketOption(
            level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(PeerCredentials.soPeerGroups)
        ).map { Optional($0) }.recover { _ in nil }
        return future.and(groups).map { credentials, groups in
            PeerCredentials(pid: credentials.pid, uid: credentials.uid, gid: credentials.gid, groups: groups?.list)
        }
    }

    /// Room for `KernelGroups.capacity` group ids. The kernel fills what the peer has and leaves the rest as
    /// NIO zeroed it (NIO does not return the length it read), so a 0 reads as "no group": group 0 is decided
    /// by the user database instead (`isAdmin`). A peer with more groups makes the call fail (ERANGE).
    private struct KernelGroups: Sendable {
        static let capacity = 256
        var ids: InlineArray<256, UInt32> = .init(repeating: 0)
        var list: [UInt32] { (0..<KernelGroups.capacity).map { ids[$0] }.filter { $0 != 0 } }
    }

    /// `SO_PEERGROUPS` from <asm-generic/socket.h> (Linux 4.13).
    private static let soPeerGroups: Int32 = 59

    /// `struct ucred` (glibc only declares it with _GNU_SOURCE, which the Swift module does not set).
    private struct KernelCredentials: Sendable {
        var pid: Int32 = 0
        var uid: UInt32 = 0
        var gid: UInt32 = 0
    }

    /// `SO_PEERCRED` from <asm-generic/socket.h> (17 on every Linux architecture Swift runs on).
    private static let soPeerCred: Int32 = 17

    /// Whether this peer may run admin operations: its uid is the admin uid, or its primary or a
    /// supplementary group is the admin group. With neither configured, only the daemon's own user is admin.
    func isAdmin(adminUID: UInt32?, adminGID: UInt32?) -> Bool {
        if adminUID == nil && adminGID == nil { return uid == getuid() }
        if let adminUID, uid == adminUID { return true }
        guard let adminGID else { return false }
        if gid == adminGID { return true }
        if let groups, adminGID != 0 { return groups.contains(adminGID) }
        return PeerCredentials.supplementaryGroups(of: uid, primary: gid).contains(adminGID)
    }

    /// The groups of `uid` from the user database, where the kernel did not report the peer's own.
    static func supplementaryGroups(of uid: UInt32, primary: UInt32) -> [UInt32] {
        var entry = passwd()
        var buffer = [CChar](repeating: 0, count: 16_384)
        var result: UnsafeMutablePointer<passwd>?
        guard getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, result != nil, let name = entry.pw_name else { return [] }
        var count: Int32 = 64
        var groups = [gid_t](repeating: 0, count: Int(count))
        if getgrouplist(name, primary, &groups, &count) < 0 {
            groups = [gid_t](repeating: 0, count: Int(count))
            guard getgrouplist(name, primary, &groups, &count) >= 0 else { return [] }
        }
        return Array(groups.prefix(Int(count)))
    }
}
