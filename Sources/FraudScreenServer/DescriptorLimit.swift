#if canImport(Glibc)
import Glibc
#endif

/// The open-file limit the daemon needs: one descriptor per connection, plus its listeners, the reports
/// file, the rule files a reload reads and the event loops' own.
///
/// A shell's soft limit is usually 1,024, the default `max_connections` too: the daemon ran out of
/// descriptors before it reached its own limit, and clients past that waited instead of being told it is
/// overloaded. The soft limit is raised towards the hard one, which any process may do.
enum DescriptorLimit {
    /// Descriptors kept free beyond the connections.
    static let reserve = 64

    /// Raises the soft limit to what `connections` need when it is lower; a warning when the hard limit is too.
    static func raise(toServe connections: Int) -> String? {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return nil }
        let needed = rlim_t(min(connections, 1 << 30) + reserve)  // no overflow for absurd settings
        guard limit.rlim_cur < needed else { return nil }
        let wanted = min(needed, limit.rlim_max)  // an unlimited hard limit is the largest value
        var raised = limit
        raised.rlim_cur = wanted
        if wanted > limit.rlim_cur, setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &raised) == 0 { limit = raised }
        guard limit.rlim_cur < needed else { return nil }
        return "max_connections \(connections) needs about \(needed) open files, but the limit is \(limit.rlim_cur) "
            + "(hard \(limit.rlim_max)): past what it allows, clients wait in the listen queue for a free "
            + "descriptor; raise LimitNOFILE / ulimit -n or lower max_connections"
    }
}
