/// What an automaton pattern stands for: its keyword, and whether the pattern is a word variant of it (`vx`
/// for 微信). One word, because the screener reads it for every occurrence a text has.
struct PatternKeyword {
    let bits: UInt32

    init(keyword: Int32, isVariant: Bool) {
        precondition(keyword >= 0)
        bits = UInt32(keyword) | (isVariant ? 1 << 31 : 0)
    }

    init(bits: UInt32) { self.bits = bits }

    var keyword: Int { Int(bits & 0x7FFF_FFFF) }
    var isVariant: Bool { bits >> 31 != 0 }
}
