/// A fixed list of byte strings (pre-encoded JSON pieces) end to end in one block of memory the object owns.
///
/// Reading a piece hands out a pointer into that block, where reading an element of `[[UInt8]]` retains the
/// element: answers read several pieces per hit, and the rule set's pieces are read by every screening thread
/// at once, so those retains contended for the same reference counts.
final class EncodedTexts: @unchecked Sendable {  // immutable after init; the memory is only read
    private let bytes: UnsafeMutableBufferPointer<UInt8>
    /// `ends[i]` is one past the last byte of piece `i`.
    private let ends: UnsafeMutableBufferPointer<Int>

    init(_ pieces: [[UInt8]]) {
        bytes = .allocate(capacity: max(1, pieces.reduce(0) { $0 + $1.count }))
        ends = .allocate(capacity: max(1, pieces.count))
        var end = 0
        for (i, piece) in pieces.enumerated() {
            _ = UnsafeMutableBufferPointer(rebasing: bytes[end..<(end + piece.count)]).initialize(from: piece)
            end += piece.count
            ends[i] = end
        }
        count = pieces.count
    }

    deinit {
        bytes.deallocate()
        ends.deallocate()
    }

    let count: Int

    /// Piece `i`, valid while this object lives.
    subscript(i: Int) -> UnsafeBufferPointer<UInt8> {
        let start = i == 0 ? 0 : ends[i - 1]
        return UnsafeBufferPointer(rebasing: UnsafeBufferPointer(bytes)[start..<ends[i]])
    }
}
