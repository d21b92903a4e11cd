/// Lists packed into one allocation: list `i` is `values[offsets[i]..<offsets[i + 1]]`. Reading one hands out
/// a pointer into that block, with no reference counting and no per-list allocation. The owner frees it.
struct PackedLists<Element> {
    private let offsets: UnsafeMutableBufferPointer<Int32>
    private let values: UnsafeMutableBufferPointer<Element>

    init(_ lists: [[Element]]) {
        offsets = .allocate(capacity: lists.count + 1)
        values = .allocate(capacity: max(1, lists.reduce(0) { $0 + $1.count }))
        var k = 0
        for (i, list) in lists.enumerated() {
            offsets[i] = Int32(k)
            _ = UnsafeMutableBufferPointer(rebasing: values[k..<(k + list.count)]).initialize(from: list)
            k += list.count
        }
        offsets[lists.count] = Int32(k)
    }

    var count: Int { offsets.count - 1 }

    @inline(__always)
    subscript(i: Int) -> UnsafeBufferPointer<Element> {
        let start = Int(offsets[i])
        return UnsafeBufferPointer(start: values.baseAddress! + start, count: Int(offsets[i + 1]) - start)
    }

    /// Where list `i` starts in the block. A caller that keeps this reads the list with `values(from:)`,
    /// without looking its start up again (a dependent load, and on the hot path a cache miss).
    func start(of i: Int) -> Int32 { offsets[i] }

    /// The values from `start` on (a list's start, as `start(of:)` gave it).
    @inline(__always)
    func values(from start: Int32) -> UnsafePointer<Element> { UnsafePointer(values.baseAddress! + Int(start)) }

    func free() {
        offsets.deallocate()
        values.deallocate()
    }
}
