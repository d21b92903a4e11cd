import Foundation
import NIOCore
#if canImport(Glibc)
import Glibc
#endif

/// Reported messages, appended to `reports-YYYY-MM-DD.jsonl` (UTC day) under the reports directory and
/// fsync'd before the report is acknowledged, so a report the client saw acknowledged survives a crash
/// or power loss. One writer thread does group commit: every report queued while the previous fsync ran
/// goes out in one write and one fsync, so durability costs one disk flush per batch, not per report.
///
/// Each line is a JSON object the corpus reader understands (`id`, `label`, `category`, `message.text`),
/// so `fraudscreen replay DIR` replays reports directly.
final class ReportStore: @unchecked Sendable {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    private let directory: String
    private let condition = NSCondition()
    // Guarded by `condition`.
    private var queue: [(line: [UInt8], promise: EventLoopPromise<Void>)] = []
    private var stopping = false
    private var finished = false
    // Owned by the writer thread (and `init`, before it starts).
    private var descriptor: Int32 = -1
    private var openDay = ""

    private let ids: Locked<UInt64> = Locked(0)
    private let idPrefix: String

    /// Reports are the daemon's own: clients may connect (they share its socket group) but not read what
    /// others reported. Rule authors replay them as the daemon's user or root.
    static let directoryMode: mode_t = 0o700
    static let fileMode: mode_t = 0o600

    /// Makes written reports durable (`fsync`); a parameter so that a test can have it fail as a disk does.
    private let makeDurable: @Sendable (Int32) -> Int32

    init(directory: String, makeDurable: @escaping @Sendable (Int32) -> Int32 = { fsync($0) }) throws {
        self.directory = directory
        self.makeDurable = makeDurable
        // Unique across restarts: the boot time plus randomness, then a counter.
        var random = SystemRandomNumberGenerator()
        idPrefix = "r-" + ReportStore.compactUTC(Date()) + "-" + String(random.next() & 0xFFFFFF, radix: 16)
        try openFile(for: Date())  // fail at startup, not at the first report, when the directory is unusable
        let thread = Thread { [self] in writerLoop() }
        thread.name = "fraudscreend-reports"
        thread.start()
    }

    /// A new report id.
    func nextID() -> String {
        let n = ids.withLock { value -> UInt64 in value += 1; return value }
        return "\(idPrefix)-\(n)"
    }

    /// Queues one JSON line (without newline); `promise` succeeds once it is on disk.
    func append(_ line: [UInt8], promise: EventLoopPromise<Void>) {
        condition.lock()
        if stopping {
            condition.unlock()
            promise.fail(Failure(description: "the daemon is shutting down"))
            return
        }
        queue.append((line, promise))
        condition.signal()
        condition.unlock()
    }

    /// Writes everything queued, then stops the writer. Returns once the last fsync is done.
    func close() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }

    private func writerLoop() {
        while true {
            condition.lock()
            while queue.isEmpty && !stopping { condition.wait() }
            if queue.isEmpty {
                finished = true
                condition.broadcast()
                condition.unlock()
                if descriptor >= 0 { Glibc.close(descriptor) }
                return
            }
            let batch = queue
            queue.removeAll(keepingCapacity: true)
            condition.unlock()

            var bytes: [UInt8] = []
            bytes.reserveCapacity(batch.reduce(0) { $0 + $1.line.count + 1 })
            for entry in batch {
                bytes.append(contentsOf: entry.line)
                bytes.append(0x0A)
            }
            do {
                try write(bytes)
                for entry in batch { entry.promise.succeed(()) }
            } catch {
                for entry in batch { entry.promise.fail(error) }
            }
        }
    }

    private func write(_ bytes: [UInt8]) throws {
        try openFile(for: Date())
        let start = lseek(descriptor, 0, SEEK_END)
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + written, bytes.count - written) }
            if n < 0 {
                if errno == EINTR { continue }
                let message = String(cString: strerror(errno))
                // Never leave half a line behind: the next batch would be glued to it.
                if start >= 0 { _ = ftruncate(descriptor, start) }
                throw Failure(description: "cannot write report: \(message)")
            }
            written += n
        }
        guard makeDurable(descriptor) == 0 else {
            let message = String(cString: strerror(errno))
            // Answered `internal`, so not stored either: left in the file, a client's retry would store it twice.
            if start >= 0 { _ = ftruncate(descriptor, start) }
            throw Failure(description: "cannot fsync reports file: \(message)")
        }
    }

    /// Opens (creating when needed) the file of `date`'s UTC day; a new file's directory entry is fsync'd
    /// too, or the file itself could vanish in a crash.
    ///
    /// The open file is also left for a new one when its path no longer leads to it: the file or the directory
    /// was removed, or the file was rotated away. Writing on to it acknowledged reports nobody would find.
    private func openFile(for date: Date) throws {
        let day = ReportStore.utcDay(date)
        let path = directory + "/reports-" + day + ".jsonl"
        if descriptor >= 0, day == openDay, isStillAt(path) { return }
        // The directory exists unless someone removed it; made again as at startup.
        try ensureDirectory()
        // Not through a symbolic link: a link planted under the day's name would have the daemon cut back and
        // append to whatever it points at.
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, ReportStore.fileMode)
        guard fd >= 0 else { throw Failure(description: "cannot open \(path): \(String(cString: strerror(errno)))") }
        // Nor into a file someone else made: the directory is checked at start, but one removed while the daemon
        // runs may come back as another user's, with their file already in it.
        var status = stat()
        guard fstat(fd, &status) == 0, status.st_mode & S_IFMT == S_IFREG, status.st_uid == geteuid(), status.st_nlink == 1 else {
            Glibc.close(fd)
            throw Failure(description: "\(path) is not a reports file of the daemon's own (a regular file of uid \(geteuid()) "
                + "with one link): not written to")
        }
        // A file of an earlier version (0640), or one edited by hand, becomes private like a new one.
        if status.st_mode & 0o777 != ReportStore.fileMode { _ = fchmod(fd, ReportStore.fileMode) }
        ReportStore.cutPartialLastLine(path, writing: fd)
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 { _ = fsync(directoryFD); Glibc.close(directoryFD) }
        if descriptor >= 0 { Glibc.close(descriptor) }
        descriptor = fd
        openDay = day
    }

    /// Makes the reports directory, or checks the one there: reports hold victims' messages, and a directory
    /// someone else owns, or may write to, lets them read the reports or plant a link under the next day's name.
    /// At start and whenever the day's file is opened again (a directory removed while the daemon runs may come
    /// back as another user's).
    private func ensureDirectory() throws {
        var status = stat()
        if lstat(directory, &status) != 0 {
            guard mkdir(directory, ReportStore.directoryMode) == 0 || errno == EEXIST else {
                throw Failure(description: "cannot create reports directory \(directory): \(String(cString: strerror(errno)))")
            }
            guard lstat(directory, &status) == 0 else {
                throw Failure(description: "cannot read reports directory \(directory): \(String(cString: strerror(errno)))")
            }
        }
        guard status.st_mode & S_IFMT == S_IFDIR else { throw Failure(description: "reports directory \(directory) is not a directory") }
        guard status.st_uid == geteuid(), status.st_mode & 0o022 == 0 else {
            throw Failure(description: "reports directory \(directory) must belong to the daemon's user (uid \(geteuid())) "
                + "and not be writable by group or others (it is uid \(status.st_uid), mode \(String(status.st_mode & 0o777, radix: 8)))")
        }
    }

    /// A process killed while writing leaves half a line at the end of the file. That line was never
    /// acknowledged (the answer waits for the fsync), but appending after it glued the next report onto it, and
    /// replay skipped both. The file is cut back to its last newline, unless what follows it is a whole report
    /// that only lacks its newline (a file edited by hand): that one gets its newline.
    /// The file is read through a descriptor of its own: one the daemon may append to but not read is left as it is.
    static func cutPartialLastLine(_ path: String, writing: Int32) {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return }
        defer { Glibc.close(fd) }
        let size = lseek(fd, 0, SEEK_END)
        guard size > 0 else { return }
        var end = size
        // Back from the end to the last newline, a block at a time (lines are a few kilobytes).
        var block = [UInt8](repeating: 0, count: 4_096)
        while end > 0 {
            let start = max(0, end - off_t(block.count))
            let n = pread(fd, &block, Int(end - start), start)
            guard n == Int(end - start) else { return }
            if let last = block[0..<n].lastIndex(of: 0x0A) {
                end = start + off_t(last) + 1
                break
            }
            end = start
        }
        guard end < size else { return }
        var tail = [UInt8](repeating: 0, count: Int(size - end))
        if pread(fd, &tail, tail.count, end) == tail.count,
           (try? JSONSerialization.jsonObject(with: Data(tail))) is [String: Any] {
            _ = Glibc.write(writing, [UInt8(ascii: "\n")], 1)
        } else {
            _ = ftruncate(writing, end)
        }
        _ = fsync(writing)
    }

    /// Whether `path` names the file that is open (same device and inode).
    private func isStillAt(_ path: String) -> Bool {
        var open = stat(), named = stat()
        guard fstat(descriptor, &open) == 0, stat(path, &named) == 0 else { return false }
        return open.st_dev == named.st_dev && open.st_ino == named.st_ino
    }

    static func utcDay(_ date: Date) -> String {
        var time = time_t(date.timeIntervalSince1970)
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(format: "%04d-%02d-%02d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday))
    }

    static func compactUTC(_ date: Date) -> String {
        var time = time_t(date.timeIntervalSince1970)
        var parts = tm()
        gmtime_r(&time, &parts)
        return String(format: "%04d%02d%02dT%02d%02d%02dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                      Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    }

    static func iso8601(_ date: Date) -> String {
        var time = time_t(date.timeIntervalSince1970)
        var parts = tm()
        gmtime_r(&time, &parts)
        let millis = Int((date.timeIntervalSince1970 - Double(time)) * 1000)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                      Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), millis)
    }
}
