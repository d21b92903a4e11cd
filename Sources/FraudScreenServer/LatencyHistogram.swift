/// Request latencies in microseconds, in log-linear buckets (exact below 64 µs, then 32 buckets per power
/// of two: under 3 % error), so percentiles cost a fixed 6 KiB per event loop whatever the request count.
struct LatencyHistogram: Sendable {
    private static let linear = 64
    private static let subBuckets = 32
    private static let powers = 26  // up to 2^32 µs
    static let bucketCount = linear + powers * subBuckets

    private(set) var counts = [UInt64](repeating: 0, count: LatencyHistogram.bucketCount)
    private(set) var total: UInt64 = 0
    private(set) var sum: UInt64 = 0
    private(set) var maximum: UInt64 = 0

    static func bucket(of micros: UInt64) -> Int {
        if micros < UInt64(linear) { return Int(micros) }
        let power = 63 - micros.leadingZeroBitCount  // ≥ 6
        let sub = Int((micros >> UInt64(power - 5)) & 31)
        return min(linear + (power - 6) * subBuckets + sub, bucketCount - 1)
    }

    /// The middle of a bucket's range, reported for percentiles.
    static func representative(of bucket: Int) -> UInt64 {
        if bucket < linear { return UInt64(bucket) }
        let power = (bucket - linear) / subBuckets + 6
        let sub = UInt64((bucket - linear) % subBuckets)
        let width = UInt64(1) << UInt64(power - 5)
        return (UInt64(1) << UInt64(power)) + sub * width + width / 2
    }

    mutating func record(micros: UInt64) {
        counts[LatencyHistogram.bucket(of: micros)] += 1
        total += 1
        sum &+= micros
        if micros > maximum { maximum = micros }
    }

    mutating func merge(_ other: LatencyHistogram) {
        for i in counts.indices { counts[i] += other.counts[i] }
        total += other.total
        sum &+= other.sum
        maximum = max(maximum, other.maximum)
    }

    /// The latency under which a fraction `q` (0…1) of requests completed.
    func percentile(_ q: Double) -> UInt64 {
        guard total > 0 else { return 0 }
        let rank = UInt64((Double(total) * q).rounded(.up))
        var seen: UInt64 = 0
        for (bucket, count) in counts.enumerated() where count > 0 {
            seen += count
            if seen >= max(rank, 1) { return min(LatencyHistogram.representative(of: bucket), maximum) }
        }
        return maximum
    }
}
